import Foundation

/// What a password must be: long enough to resist guessing, short enough for bcrypt (72 bytes).
public enum PasswordPolicy {
    public static let minimumLength = 10

    public static func check(_ password: String?, field: String = "password", errors: inout FieldErrors) {
        let value = password ?? ""
        if value.isEmpty {
            errors.add(field, "Le mot de passe est obligatoire.")
        } else if value.count < minimumLength {
            errors.add(field, "Le mot de passe doit contenir au moins \(minimumLength) caractères.")
        } else if value.utf8.count > 72 {
            errors.add(field, "Le mot de passe ne doit pas dépasser 72 octets.")
        }
    }
}
