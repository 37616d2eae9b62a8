"""A corpus of PII formats across the simulator's languages (en, es, de, fr), shared by tests.

Every value is written the way people type it in chat: grouped, dotted, lower-case,
with accents. ``PII`` lists (language, kind, value, sentence); a detector passes an
item when the value no longer appears in its output. ``CLEAN`` lists PII-free texts
full of things that look like numbers (order and tracking numbers, dates, amounts,
postcodes, versions): any change a detector makes there is a false positive.

Card numbers are the networks' published test numbers; IBANs are the registries'
published examples; national ids are computed to be valid, not real people's.
Numbers from issue #17's reproduction are included verbatim.
"""

from __future__ import annotations

PII: list[tuple[str, str, str, str]] = [
    # --- issue #17, verbatim
    ("en", "phone", "4155550177", "Call me back on 4155550177 please."),
    ("en", "card", "4012.8888.8888.1881", "My card is 4012.8888.8888.1881, charge it."),
    (
        "fr",
        "iban",
        "fr14 2004 1010 0505 0001 3m02 606",
        "Mon iban: fr14 2004 1010 0505 0001 3m02 606 merci",
    ),
    ("es", "email", "josé.núñez@correo.es", "Escríbeme a josé.núñez@correo.es cuando puedas."),
    # --- phones
    ("en", "phone", "(415) 555-0177", "Reach me at (415) 555-0177 tonight."),
    ("en", "phone", "415.555.0177", "My cell: 415.555.0177"),
    ("en", "phone", "+1 415 555 0177", "Number is +1 415 555 0177."),
    ("en", "phone", "020 7946 0958", "Office line 020 7946 0958, ask for Sam."),
    ("en", "phone", "+44 7911 123456", "UK mobile +44 7911 123456"),
    ("en", "phone", "07911 123456", "text 07911 123456 if late"),
    ("es", "phone", "612 345 678", "Llámame al 612 345 678 por favor."),
    ("es", "phone", "+34 612 34 56 78", "Mi móvil es +34 612 34 56 78."),
    ("es", "phone", "612345678", "mi numero 612345678"),
    ("es", "phone", "91 123 45 67", "Teléfono fijo 91 123 45 67."),
    ("de", "phone", "030 12345678", "Rufen Sie mich unter 030 12345678 an."),
    ("de", "phone", "+49 30 12345678", "Meine Nummer: +49 30 12345678"),
    ("de", "phone", "0151 23456789", "Handy 0151 23456789"),
    ("de", "phone", "(030) 1234567", "Tel. (030) 1234567"),
    ("de", "phone", "0049 30 1234567", "aus dem Ausland 0049 30 1234567"),
    ("fr", "phone", "06 12 34 56 78", "Appelez-moi au 06 12 34 56 78."),
    ("fr", "phone", "+33 6 12 34 56 78", "Mon portable : +33 6 12 34 56 78"),
    ("fr", "phone", "0612345678", "tel 0612345678"),
    ("fr", "phone", "06.12.34.56.78", "Joignable au 06.12.34.56.78 demain."),
    # --- cards
    ("en", "card", "4111 1111 1111 1111", "Visa 4111 1111 1111 1111 exp 12/29"),
    ("en", "card", "5555-5555-5555-4444", "use 5555-5555-5555-4444"),
    ("en", "card", "378282246310005", "amex 378282246310005"),
    ("es", "card", "4012 8888 8888 1881", "Mi tarjeta es 4012 8888 8888 1881."),
    ("de", "card", "5105.1051.0510.5100", "Kreditkarte 5105.1051.0510.5100 bitte"),
    ("fr", "card", "6011111111111117", "carte 6011111111111117"),
    # --- IBANs
    ("de", "iban", "DE89 3704 0044 0532 0130 00", "IBAN DE89 3704 0044 0532 0130 00, danke."),
    ("de", "iban", "de89370400440532013000", "konto de89370400440532013000"),
    ("es", "iban", "ES91 2100 0418 4502 0005 1332", "Mi cuenta ES91 2100 0418 4502 0005 1332."),
    ("es", "iban", "es91 2100 0418 4502 0005 1332", "iban es91 2100 0418 4502 0005 1332 gracias"),
    ("fr", "iban", "FR1420041010050500013M02606", "RIB FR1420041010050500013M02606"),
    ("en", "iban", "GB29 NWBK 6016 1331 9268 19", "Pay into GB29 NWBK 6016 1331 9268 19."),
    # --- e-mails
    ("en", "email", "jane.doe+billing@example.co.uk", "mail jane.doe+billing@example.co.uk"),
    ("en", "email", "JOHN_SMITH@EXAMPLE.COM", "Contact: JOHN_SMITH@EXAMPLE.COM"),
    ("de", "email", "jürgen.müller@beispiel.de", "Schreiben Sie an jürgen.müller@beispiel.de."),
    ("fr", "email", "françois.lefèvre@exemple.fr", "Écrivez à françois.lefèvre@exemple.fr svp"),
    ("fr", "email", "élodie@société.fr", "mon adresse élodie@société.fr"),
    ("es", "email", "maría-josé@correo.es", "soy maría-josé@correo.es"),
    # --- national ids
    ("en", "national_id", "123-45-6789", "SSN 123-45-6789"),
    ("en", "national_id", "AB 12 34 56 C", "NI number AB 12 34 56 C"),
    ("es", "national_id", "12345678Z", "Mi DNI es 12345678Z."),
    ("es", "national_id", "X1234567L", "NIE X1234567L"),
    ("fr", "national_id", "1 84 12 76 451 089 46", "Numéro de sécu 1 84 12 76 451 089 46"),
    ("de", "national_id", "36574261809", "Meine Steuer-ID: 36574261809"),
    # --- written after the detectors were tuned on the items above (the "held-out" set
    # of docs/metrics.md: measured once, then added here)
    ("en", "phone", "2125550143", "pls ring 2125550143 after 5"),
    ("en", "phone", "+1 212-555-0143", "cell +1 212-555-0143"),
    ("en", "phone", "(212)555-0143", "at (212)555-0143"),
    ("en", "phone", "0207 946 0321", "London 0207 946 0321"),
    ("en", "phone", "+44 (0)20 7946 0321", "+44 (0)20 7946 0321 is the desk"),
    ("es", "phone", "654 32 10 98", "mi móvil 654 32 10 98"),
    ("es", "phone", "934 567 890", "llame al 934 567 890"),
    ("es", "phone", "0034 654321098", "desde fuera 0034 654321098"),
    ("de", "phone", "089 1234567", "München 089 1234567"),
    ("de", "phone", "0171/1234567", "Handy 0171/1234567"),
    ("de", "phone", "+49 (0) 171 1234567", "+49 (0) 171 1234567 erreichbar"),
    ("fr", "phone", "01 42 68 53 00", "fixe 01 42 68 53 00"),
    ("fr", "phone", "07-12-34-56-78", "portable 07-12-34-56-78"),
    ("fr", "phone", "+33612345678", "whatsapp +33612345678"),
    ("en", "card", "4242 4242 4242 4242", "card 4242 4242 4242 4242 cvv 123"),
    ("es", "card", "5200-8282-8282-8210", "tarjeta 5200-8282-8282-8210"),
    ("en", "card", "3714 496353 98431", "amex 3714 496353 98431"),
    ("de", "card", "4000056655665556", "Karte 4000056655665556"),
    ("en", "iban", "NL91 ABNA 0417 1643 00", "NL91 ABNA 0417 1643 00 is my account"),
    ("en", "iban", "it60x0542811101000000123456", "iban it60x0542811101000000123456"),
    ("fr", "iban", "BE68 5390 0754 7034", "BE68 5390 0754 7034"),
    ("en", "email", "zoë.o'brien@example.ie", "mail zoë.o'brien@example.ie"),
    ("en", "email", "søren@firma.dk", "søren@firma.dk wrote"),
    ("en", "email", "a.b-c_d@sub.domain.example.org", "<a.b-c_d@sub.domain.example.org>"),
    ("es", "national_id", "Y2345678Z", "NIE Y2345678Z"),
]

CLEAN: list[tuple[str, str]] = [
    ("en", "Order #123456789 shipped on 2026-10-05."),
    ("en", "Your order 2026100512 is on its way."),
    ("en", "Invoice INV-2026-000123 totals $1,234.56."),
    ("en", "Tracking number 1Z999AA10123456784 shows delivered."),
    ("en", "Meeting on 10/05/2026 at 14:30, room 4.12."),
    ("en", "Upgrade to v2.14.3 fixed it; 99.95% uptime this quarter."),
    ("en", "Ship to ZIP 94105; ticket #4821 closed."),
    ("en", "The plan costs 12.99 per month, 129.90 per year."),
    ("es", "Su pedido 100200300 llegará el 05/10/2026."),
    ("es", "El total es 1.234,56 € con IVA del 21 %."),
    ("es", "Código postal 28013, referencia 2026-000345."),
    ("de", "Bestellung 4711081512 wurde am 05.10.2026 versandt."),
    ("de", "Rechnungsbetrag 1.234,56 EUR, fällig am 31.12.2026."),
    ("de", "PLZ 10115, Kundennummer KD-48213."),
    ("fr", "Commande n° 2026-48213 livrée le 05/10/2026."),
    ("fr", "Montant : 1 234,56 €, TVA 20 %."),
    ("fr", "Code postal 75008, facture 2026000123."),
    ("en", "Error code 0x80070005 at 12:03:44; build 20261005.3."),
    ("en", "We processed 1,250,000 requests in 3.5 seconds."),
    ("de", "Version 3.2.1 vom 2026-10-05, Artikel 12345."),
    # held-out set (see above)
    ("en", "Order 4155550199 confirmed"),
    ("en", "Ticket #20261005 updated"),
    ("de", "Paid 2.499,00 € on 12.11.2026"),
    ("en", "Call volume rose 12% to 3,456,789 calls"),
    ("en", "Room 1204, floor 12, building 7"),
    ("en", "Reference: 7788990011"),
    ("en", "Lot 20260512-07 expired"),
    ("en", "version 10.0.19045.3803"),
    ("de", "ISBN 978-3-16-148410-0"),
    ("en", "from 2026-01-01 to 2026-12-31"),
    ("fr", "Latitude 48.858844, longitude 2.294351"),
    ("de", "Artikelnummer 12345678"),
    ("fr", "Numéro de suivi 6A12345678901"),
    ("es", "Su pedido nº 3344556677"),
    ("de", "EAN 4006381333931"),
    ("en", "SKU 100-200-3000"),
    ("en", "Total: $12,345,678.90"),
]

ALL_TEXT = "\n".join(text for *_, text in PII)
"""Every corpus sentence in one text (one field holding many kinds of PII at once)."""


def leaked(output: str) -> list[str]:
    """The corpus values that appear verbatim in ``output`` (HTML entities decoded)."""
    import html

    plain = html.unescape(output)
    return [value for _, _, value, _ in PII if value in output or value in plain]
