#!/usr/bin/env python3
"""Builds Resources/HostedForms/communes.txt from La Poste's « Base officielle des codes
postaux » (laposte_hexasmal.csv, Licence Ouverte / ODbL via data.gouv.fr).

Usage: python3 tools/make_communes.py laposte_hexasmal.csv > Resources/HostedForms/communes.txt

One line per postal code: `75008;Paris`, `01400;Abergement Clemenciat|Chatillon sur Chalaronne|…`.
La Poste writes names in capitals without accents; they are put in title case (« ST » → Saint).
"""
import csv
import sys
from collections import defaultdict

SMALL = {"LE", "LA", "LES", "DE", "DU", "DES", "D", "L", "EN", "SUR", "SOUS", "AUX", "AU", "ET", "LEZ", "LES"}


def title(name):
    words = name.replace("'", " ").split()
    out = []
    for i, word in enumerate(words):
        if word == "ST":
            out.append("Saint")
        elif word == "STE":
            out.append("Sainte")
        elif i > 0 and word in SMALL:
            out.append(word.lower())
        else:
            out.append(word.capitalize())
    text = " ".join(out)
    for elided in ("L ", "D "):
        text = text.replace(" " + elided.lower(), " " + elided.lower().strip() + "'")
        if text.startswith(elided.capitalize()):
            text = elided.strip() + "'" + text[2:]
    return text.replace("' ", "'")


def main(path):
    communes = defaultdict(set)
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            code = row["Code_postal"].strip().zfill(5)
            communes[code].add(title(row["Nom_commune"].strip()))
    print("# Postal code;communes — La Poste, Base officielle des codes postaux (ODbL). tools/make_communes.py")
    for code in sorted(communes):
        print(code + ";" + "|".join(sorted(communes[code])))


if __name__ == "__main__":
    main(sys.argv[1])
