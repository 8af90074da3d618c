#!/usr/bin/env python3
"""Writes a synthetic first-version export (mongoexport layout) for the import benchmark:
2 CRMs, 10 accounts, 50 LPs, 50 forms, N leads over 18 months as JSON lines, with the first
version's field names and statuses, in insertion (time) order as mongoexport writes them. Made
up, never a real dump.

    python3 bench/make_v1_export.py DIR --leads 1000000
"""
import argparse
import json
import os
import random
from datetime import datetime, timedelta, timezone

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--leads", type=int, default=1_000_000)
parser.add_argument("--events", type=int, default=200_000)
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)
rng = random.Random(42)


def dump(name, docs):
    with open(os.path.join(args.dir, name + ".json"), "w") as out:
        json.dump(docs, out)


crms = [
    {"id": "crm-zr7", "name": "ZR7 Digital", "slug": "zr7", "api_url": "http://127.0.0.1:9/lead/api/create_lead/",
     "commandes": {"PV": ["13", "33", "75"], "PAC": ["69", "75"]}, "lead_prices": {"PV": 20, "PAC": 25, "ITE": 30},
     "routing_limits": {"PV": 0, "PAC": 500}},
    {"id": "crm-mdl", "name": "Maison du Lead", "slug": "mdl", "api_url": "http://127.0.0.1:9/lead/api/create_lead/",
     "commandes": {"PV": ["69", "92"], "ITE": ["59"]}, "lead_prices": {"PV": 22, "PAC": 28, "ITE": 31},
     "routing_limits": {"PV": 1000}},
]
dump("crms", crms)
dump("system_config", [{"type": "global_api_key", "api_key": "crm_bench_" + "x" * 32}])
accounts = [{"id": f"acc-{i}", "crm_id": crms[i % 2]["id"], "name": f"Compte {i}", "product_types": ["solaire", "pac"]}
            for i in range(10)]
dump("accounts", accounts)
products = ["panneaux", "pompes", "isolation"]
lps = [{"id": f"lp-{i}", "account_id": f"acc-{i % 10}", "code": f"LP-{i:03d}", "name": f"LP {i}",
        "url": f"https://lp{i}.example/", "source_name": ["Taboola", "Outbrain", "Google Ads"][i % 3]} for i in range(50)]
dump("lps", lps)
forms = [{"id": f"form-{i}", "account_id": f"acc-{i % 10}", "code": f"F-{i:03d}", "name": f"Formulaire {i}",
          "product_type": products[i % 3], "lp_ids": [f"lp-{i}"], "internal_api_key": f"key-{i:04d}-bench",
          "crm_api_key": f"token-{i}"} for i in range(50)]
dump("forms", forms)

statuses = ["success"] * 80 + ["duplicate"] * 5 + ["duplicate_today"] * 5 + ["failed"] * 5 + ["queued"] * 3 + ["no_config"] * 2
start = datetime(2025, 6, 1, tzinfo=timezone.utc)
span = 540 * 86_400
first_names = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Claire", "Paul", "Julie"]
last_names = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
postal = ["13001", "33000", "75011", "69003", "92100", "59000", "20090", "97400", "31000", "44000"]
with open(os.path.join(args.dir, "leads.json"), "w") as out:
    for n in range(args.leads):
        i = rng.randrange(50)
        form = forms[i]
        origin = crms[i % 10 % 2]
        target = origin if rng.random() < 0.9 else crms[1 - i % 10 % 2]
        cp = postal[n % len(postal)]
        # mongoexport writes documents in insertion order: leads come out in time order.
        created = start + timedelta(seconds=n * span // args.leads + rng.randrange(60))
        doc = {
            "_id": {"$oid": f"{n:024x}"}, "id": f"lead-{n:08d}", "form_id": form["id"], "form_code": form["code"],
            "account_id": form["account_id"], "product_type": ["PV", "PAC", "ITE"][i % 3],
            "origin_crm_id": origin["id"], "target_crm_id": target["id"],
            "routing_reason": "origin_has_order" if target is origin else "rerouted_to_" + target["slug"],
            "phone": "06%08d" % (10_000_000 + n), "nom": rng.choice(last_names), "prenom": rng.choice(first_names),
            "civilite": rng.choice(["M.", "Mme"]), "email": f"client{n}@exemple.fr", "code_postal": cp,
            "departement": cp[:2], "superficie_logement": f"{rng.randrange(40, 250)}m²",
            "chauffage_actuel": rng.choice(["Électrique", "Gaz", "Fioul"]), "type_logement": "Maison",
            "statut_occupant": "Propriétaire", "facture_electricite": rng.choice(["100-150€", "150-200€"]),
            "lp_code": lps[i]["code"], "liaison_code": lps[i]["code"] + "_" + form["code"],
            "created_at": created.isoformat(), "register_date": int(created.timestamp()),
            "api_status": rng.choice(statuses), "api_response": "{\"id\": %d}" % n, "sent_to_crm": True,
            "ip": "203.0.113.%d" % (n % 250),
        }
        if n % 5_000 == 0:
            doc["phone"] = "12-34"  # unparseable: kept and flagged
        out.write(json.dumps(doc) + "\n")
with open(os.path.join(args.dir, "tracking.json"), "w") as out:
    for n in range(args.events):
        i = rng.randrange(50)
        created = start + timedelta(seconds=rng.randrange(span))
        kind = rng.choice(["lp_visit", "lp_visit", "lp_visit", "cta_click", "form_start"])
        doc = {"id": f"t-{n}", "event": kind, "lp_code": lps[i]["code"], "form_code": forms[i]["code"],
               "created_at": created.isoformat()}
        out.write(json.dumps(doc) + "\n")
print(args.dir)
