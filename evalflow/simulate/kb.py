"""The simulated support copilot's world: a small multilingual knowledge base and phrasing pools.

Each queue has a handful of policy facts with one concrete value (a number of days,
a fee, a limit). The knowledge-base passage states the true value; a grounded answer
restates it; a hallucinated answer states one of the wrong values, often with an
invented extra claim that appears in no passage. Keeping the value in a slot is what
makes the simulated hallucinations *checkable* against the retrieved context, which
is exactly what faithfulness judges and grounding proxies downstream must detect.

Everything is written in the four simulated languages (en, es, de, fr) because the
knowledge base is localised like a real help centre: an answer in Spanish is grounded
in a Spanish passage, so language itself is not a spurious quality signal.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGS: tuple[str, ...] = ("en", "es", "de", "fr")
QUEUES: tuple[str, ...] = ("billing", "technical", "account", "outage", "shipping")

L = dict[str, str]
LT = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Fact:
    """One knowledge-base article: a statement with a value slot ``{v}`` plus a detail."""

    queue: str
    key: str
    value: str
    wrong_values: tuple[str, str, str]
    title: L
    statement: L
    detail: L
    queries: LT


FACTS: tuple[Fact, ...] = (
    # ------------------------------------------------------------------ billing
    Fact(
        "billing",
        "refund_window",
        "30",
        ("14", "60", "90"),
        title={
            "en": "Refund policy",
            "es": "Política de reembolsos",
            "de": "Rückerstattungsrichtlinie",
            "fr": "Politique de remboursement",
        },
        statement={
            "en": "Annual plans can be refunded in full within {v} days of purchase.",
            "es": "Los planes anuales se pueden reembolsar por completo dentro de los {v} días posteriores a la compra.",
            "de": "Jahrespläne können innerhalb von {v} Tagen nach dem Kauf vollständig erstattet werden.",
            "fr": "Les abonnements annuels sont remboursables intégralement dans les {v} jours suivant l'achat.",
        },
        detail={
            "en": "Refunds go back to the original payment method within 5 to 7 business days.",
            "es": "El reembolso se devuelve al método de pago original en un plazo de 5 a 7 días hábiles.",
            "de": "Die Erstattung erfolgt innerhalb von 5 bis 7 Werktagen auf das ursprüngliche Zahlungsmittel.",
            "fr": "Le remboursement est versé sur le moyen de paiement d'origine sous 5 à 7 jours ouvrés.",
        },
        queries={
            "en": (
                "Can I get a refund on my annual plan?",
                "How long do I have to ask for a refund after buying the yearly plan?",
                "I was charged for the annual subscription by mistake, can I get my money back?",
            ),
            "es": (
                "¿Puedo obtener un reembolso de mi plan anual?",
                "¿Cuánto tiempo tengo para pedir un reembolso después de comprar el plan anual?",
                "Me cobraron la suscripción anual por error, ¿me pueden devolver el dinero?",
            ),
            "de": (
                "Kann ich für meinen Jahresplan eine Rückerstattung bekommen?",
                "Wie lange habe ich Zeit, nach dem Kauf des Jahresplans eine Erstattung zu verlangen?",
                "Mir wurde das Jahresabo versehentlich berechnet, bekomme ich mein Geld zurück?",
            ),
            "fr": (
                "Puis-je être remboursé de mon abonnement annuel ?",
                "Combien de temps ai-je pour demander un remboursement après l'achat de l'abonnement annuel ?",
                "On m'a facturé l'abonnement annuel par erreur, puis-je récupérer mon argent ?",
            ),
        },
    ),
    Fact(
        "billing",
        "late_fee",
        "15",
        ("25", "5", "40"),
        title={
            "en": "Late payments",
            "es": "Pagos atrasados",
            "de": "Verspätete Zahlungen",
            "fr": "Retards de paiement",
        },
        statement={
            "en": "A late fee of {v} USD is charged when an invoice is still unpaid 10 days after its due date.",
            "es": "Se cobra un recargo de {v} USD cuando una factura sigue impaga 10 días después de su vencimiento.",
            "de": "Eine Mahngebühr von {v} USD wird fällig, wenn eine Rechnung 10 Tage nach Fälligkeit noch offen ist.",
            "fr": "Des frais de retard de {v} USD sont facturés lorsqu'une facture reste impayée 10 jours après son échéance.",
        },
        detail={
            "en": "Invoices are issued on the 1st of each month and are due within 14 days.",
            "es": "Las facturas se emiten el día 1 de cada mes y vencen a los 14 días.",
            "de": "Rechnungen werden am 1. jedes Monats ausgestellt und sind innerhalb von 14 Tagen fällig.",
            "fr": "Les factures sont émises le 1er de chaque mois et sont payables sous 14 jours.",
        },
        queries={
            "en": (
                "Is there a fee if I pay my invoice late?",
                "What happens if my invoice is overdue?",
                "How much is the late payment fee?",
            ),
            "es": (
                "¿Hay algún recargo si pago la factura tarde?",
                "¿Qué pasa si mi factura está vencida?",
                "¿Cuánto es el recargo por pago atrasado?",
            ),
            "de": (
                "Gibt es eine Gebühr, wenn ich meine Rechnung zu spät bezahle?",
                "Was passiert, wenn meine Rechnung überfällig ist?",
                "Wie hoch ist die Mahngebühr?",
            ),
            "fr": (
                "Y a-t-il des frais si je paie ma facture en retard ?",
                "Que se passe-t-il si ma facture est en retard ?",
                "Combien coûtent les frais de retard de paiement ?",
            ),
        },
    ),
    Fact(
        "billing",
        "failed_payment",
        "3",
        ("5", "1", "10"),
        title={
            "en": "Failed payments",
            "es": "Pagos rechazados",
            "de": "Fehlgeschlagene Zahlungen",
            "fr": "Paiements refusés",
        },
        statement={
            "en": "If a card payment fails, we retry it automatically {v} times over the next 7 days before the account is suspended.",
            "es": "Si un pago con tarjeta falla, lo reintentamos automáticamente {v} veces durante los 7 días siguientes antes de suspender la cuenta.",
            "de": "Schlägt eine Kartenzahlung fehl, versuchen wir sie in den folgenden 7 Tagen automatisch {v}-mal erneut, bevor das Konto gesperrt wird.",
            "fr": "Si un paiement par carte échoue, nous le relançons automatiquement {v} fois au cours des 7 jours suivants avant de suspendre le compte.",
        },
        detail={
            "en": "You can update your card at any time under Settings > Billing.",
            "es": "Puedes actualizar tu tarjeta en cualquier momento en Configuración > Facturación.",
            "de": "Sie können Ihre Karte jederzeit unter Einstellungen > Abrechnung aktualisieren.",
            "fr": "Vous pouvez mettre à jour votre carte à tout moment dans Paramètres > Facturation.",
        },
        queries={
            "en": (
                "My card payment failed, what happens now?",
                "Will you try charging my card again after a failed payment?",
                "Why was my payment declined and will my account be suspended?",
            ),
            "es": (
                "Mi pago con tarjeta falló, ¿qué pasa ahora?",
                "¿Volverán a intentar el cobro en mi tarjeta después de un pago fallido?",
                "¿Por qué rechazaron mi pago y me van a suspender la cuenta?",
            ),
            "de": (
                "Meine Kartenzahlung ist fehlgeschlagen, was passiert jetzt?",
                "Versuchen Sie nach einer fehlgeschlagenen Zahlung erneut, meine Karte zu belasten?",
                "Warum wurde meine Zahlung abgelehnt und wird mein Konto gesperrt?",
            ),
            "fr": (
                "Mon paiement par carte a échoué, que se passe-t-il maintenant ?",
                "Allez-vous réessayer de débiter ma carte après un paiement refusé ?",
                "Pourquoi mon paiement a-t-il été refusé et mon compte va-t-il être suspendu ?",
            ),
        },
    ),
    Fact(
        "billing",
        "annual_discount",
        "20",
        ("10", "35", "50"),
        title={
            "en": "Annual billing",
            "es": "Facturación anual",
            "de": "Jährliche Abrechnung",
            "fr": "Facturation annuelle",
        },
        statement={
            "en": "Switching from monthly to annual billing saves {v}% compared with paying monthly.",
            "es": "Pasar de la facturación mensual a la anual ahorra un {v}% en comparación con el pago mensual.",
            "de": "Der Wechsel von monatlicher zu jährlicher Abrechnung spart {v}% gegenüber der monatlichen Zahlung.",
            "fr": "Passer de la facturation mensuelle à la facturation annuelle permet d'économiser {v}% par rapport au paiement mensuel.",
        },
        detail={
            "en": "The switch takes effect at the start of the next billing cycle.",
            "es": "El cambio se aplica al inicio del siguiente ciclo de facturación.",
            "de": "Der Wechsel wird zu Beginn des nächsten Abrechnungszeitraums wirksam.",
            "fr": "Le changement prend effet au début du prochain cycle de facturation.",
        },
        queries={
            "en": (
                "How much do I save with annual billing?",
                "Is the yearly plan cheaper than paying monthly?",
                "If I switch to annual billing, when does it start?",
            ),
            "es": (
                "¿Cuánto ahorro con la facturación anual?",
                "¿El plan anual es más barato que pagar cada mes?",
                "Si cambio a facturación anual, ¿cuándo empieza?",
            ),
            "de": (
                "Wie viel spare ich mit jährlicher Abrechnung?",
                "Ist der Jahresplan günstiger als monatliche Zahlung?",
                "Wenn ich auf jährliche Abrechnung umstelle, ab wann gilt das?",
            ),
            "fr": (
                "Combien est-ce que j'économise avec la facturation annuelle ?",
                "L'abonnement annuel est-il moins cher que le paiement mensuel ?",
                "Si je passe à la facturation annuelle, quand est-ce que cela commence ?",
            ),
        },
    ),
    # ---------------------------------------------------------------- technical
    Fact(
        "technical",
        "password_reset",
        "45",
        ("15", "60", "120"),
        title={
            "en": "Password reset",
            "es": "Restablecer contraseña",
            "de": "Passwort zurücksetzen",
            "fr": "Réinitialisation du mot de passe",
        },
        statement={
            "en": "Password reset links expire {v} minutes after they are sent.",
            "es": "Los enlaces para restablecer la contraseña caducan {v} minutos después de enviarse.",
            "de": "Links zum Zurücksetzen des Passworts laufen {v} Minuten nach dem Versand ab.",
            "fr": "Les liens de réinitialisation du mot de passe expirent {v} minutes après leur envoi.",
        },
        detail={
            "en": "If the link has expired, request a new one from the sign-in page.",
            "es": "Si el enlace ha caducado, solicita uno nuevo desde la página de inicio de sesión.",
            "de": "Ist der Link abgelaufen, fordern Sie auf der Anmeldeseite einen neuen an.",
            "fr": "Si le lien a expiré, demandez-en un nouveau depuis la page de connexion.",
        },
        queries={
            "en": (
                "My password reset link doesn't work anymore.",
                "How long is the password reset link valid?",
                "I clicked the reset email this morning and it says the link is invalid.",
            ),
            "es": (
                "El enlace para restablecer mi contraseña ya no funciona.",
                "¿Cuánto tiempo es válido el enlace para restablecer la contraseña?",
                "Hice clic en el correo de restablecimiento esta mañana y dice que el enlace no es válido.",
            ),
            "de": (
                "Mein Link zum Zurücksetzen des Passworts funktioniert nicht mehr.",
                "Wie lange ist der Link zum Zurücksetzen des Passworts gültig?",
                "Ich habe heute Morgen auf die Reset-E-Mail geklickt und der Link ist ungültig.",
            ),
            "fr": (
                "Mon lien de réinitialisation du mot de passe ne fonctionne plus.",
                "Combien de temps le lien de réinitialisation du mot de passe est-il valable ?",
                "J'ai cliqué sur l'e-mail de réinitialisation ce matin et le lien est invalide.",
            ),
        },
    ),
    Fact(
        "technical",
        "api_rate_limit",
        "600",
        ("100", "1000", "6000"),
        title={
            "en": "API rate limits",
            "es": "Límites de la API",
            "de": "API-Ratenlimits",
            "fr": "Limites de l'API",
        },
        statement={
            "en": "The API allows up to {v} requests per minute per API key.",
            "es": "La API permite hasta {v} solicitudes por minuto por clave de API.",
            "de": "Die API erlaubt bis zu {v} Anfragen pro Minute und API-Schlüssel.",
            "fr": "L'API autorise jusqu'à {v} requêtes par minute et par clé d'API.",
        },
        detail={
            "en": "Requests above the limit receive HTTP 429 and can be retried after the time given in the Retry-After header.",
            "es": "Las solicitudes por encima del límite reciben HTTP 429 y pueden reintentarse tras el tiempo indicado en la cabecera Retry-After.",
            "de": "Anfragen über dem Limit erhalten HTTP 429 und können nach der im Retry-After-Header genannten Zeit wiederholt werden.",
            "fr": "Les requêtes au-delà de la limite reçoivent une erreur HTTP 429 et peuvent être relancées après le délai indiqué dans l'en-tête Retry-After.",
        },
        queries={
            "en": (
                "What is the API rate limit?",
                "I'm getting 429 errors from the API, why?",
                "How many API calls per minute can I make?",
            ),
            "es": (
                "¿Cuál es el límite de solicitudes de la API?",
                "Recibo errores 429 de la API, ¿por qué?",
                "¿Cuántas llamadas a la API puedo hacer por minuto?",
            ),
            "de": (
                "Wie hoch ist das API-Ratenlimit?",
                "Ich bekomme 429-Fehler von der API, warum?",
                "Wie viele API-Aufrufe pro Minute darf ich machen?",
            ),
            "fr": (
                "Quelle est la limite de requêtes de l'API ?",
                "Je reçois des erreurs 429 de l'API, pourquoi ?",
                "Combien d'appels à l'API puis-je faire par minute ?",
            ),
        },
    ),
    Fact(
        "technical",
        "backup_codes",
        "10",
        ("5", "8", "20"),
        title={
            "en": "Two-factor authentication",
            "es": "Autenticación en dos pasos",
            "de": "Zwei-Faktor-Authentifizierung",
            "fr": "Authentification à deux facteurs",
        },
        statement={
            "en": "Each account receives {v} single-use backup codes when two-factor authentication is turned on.",
            "es": "Cada cuenta recibe {v} códigos de respaldo de un solo uso al activar la autenticación en dos pasos.",
            "de": "Jedes Konto erhält beim Aktivieren der Zwei-Faktor-Authentifizierung {v} einmalig nutzbare Backup-Codes.",
            "fr": "Chaque compte reçoit {v} codes de secours à usage unique lors de l'activation de l'authentification à deux facteurs.",
        },
        detail={
            "en": "Backup codes can be regenerated under Settings > Security, which invalidates the old ones.",
            "es": "Los códigos se pueden regenerar en Configuración > Seguridad, lo que invalida los anteriores.",
            "de": "Backup-Codes lassen sich unter Einstellungen > Sicherheit neu erzeugen; die alten werden dabei ungültig.",
            "fr": "Les codes de secours peuvent être régénérés dans Paramètres > Sécurité, ce qui invalide les anciens.",
        },
        queries={
            "en": (
                "I lost my phone and can't log in with 2FA.",
                "How many backup codes do I get for two-factor authentication?",
                "Where can I get new 2FA backup codes?",
            ),
            "es": (
                "Perdí mi teléfono y no puedo entrar con la verificación en dos pasos.",
                "¿Cuántos códigos de respaldo recibo con la autenticación en dos pasos?",
                "¿Dónde consigo nuevos códigos de respaldo?",
            ),
            "de": (
                "Ich habe mein Handy verloren und komme wegen 2FA nicht ins Konto.",
                "Wie viele Backup-Codes bekomme ich für die Zwei-Faktor-Authentifizierung?",
                "Wo bekomme ich neue 2FA-Backup-Codes?",
            ),
            "fr": (
                "J'ai perdu mon téléphone et je ne peux plus me connecter avec la 2FA.",
                "Combien de codes de secours ai-je pour l'authentification à deux facteurs ?",
                "Où puis-je obtenir de nouveaux codes de secours 2FA ?",
            ),
        },
    ),
    Fact(
        "technical",
        "data_export",
        "5",
        ("1", "10", "50"),
        title={
            "en": "Data export",
            "es": "Exportación de datos",
            "de": "Datenexport",
            "fr": "Export des données",
        },
        statement={
            "en": "Data exports are limited to {v} GB per file; larger workspaces are split into several files.",
            "es": "Las exportaciones de datos están limitadas a {v} GB por archivo; los espacios de trabajo más grandes se dividen en varios archivos.",
            "de": "Datenexporte sind auf {v} GB pro Datei begrenzt; größere Workspaces werden auf mehrere Dateien aufgeteilt.",
            "fr": "Les exports de données sont limités à {v} Go par fichier ; les espaces de travail plus volumineux sont répartis en plusieurs fichiers.",
        },
        detail={
            "en": "Export download links stay valid for 7 days.",
            "es": "Los enlaces de descarga de la exportación son válidos durante 7 días.",
            "de": "Download-Links für Exporte bleiben 7 Tage gültig.",
            "fr": "Les liens de téléchargement des exports restent valables 7 jours.",
        },
        queries={
            "en": (
                "How do I export all my data?",
                "Is there a size limit on data exports?",
                "My export came as several files, is that normal?",
            ),
            "es": (
                "¿Cómo exporto todos mis datos?",
                "¿Hay un límite de tamaño para las exportaciones de datos?",
                "Mi exportación llegó en varios archivos, ¿es normal?",
            ),
            "de": (
                "Wie exportiere ich alle meine Daten?",
                "Gibt es eine Größenbeschränkung für Datenexporte?",
                "Mein Export kam in mehreren Dateien, ist das normal?",
            ),
            "fr": (
                "Comment exporter toutes mes données ?",
                "Y a-t-il une limite de taille pour les exports de données ?",
                "Mon export est arrivé en plusieurs fichiers, est-ce normal ?",
            ),
        },
    ),
    # ------------------------------------------------------------------ account
    Fact(
        "account",
        "account_restore",
        "30",
        ("7", "90", "180"),
        title={
            "en": "Deleting an account",
            "es": "Eliminar una cuenta",
            "de": "Konto löschen",
            "fr": "Suppression du compte",
        },
        statement={
            "en": "A deleted account can be restored within {v} days; after that all its data is permanently erased.",
            "es": "Una cuenta eliminada se puede restaurar dentro de los {v} días siguientes; después, todos sus datos se borran de forma permanente.",
            "de": "Ein gelöschtes Konto kann innerhalb von {v} Tagen wiederhergestellt werden; danach werden alle Daten endgültig gelöscht.",
            "fr": "Un compte supprimé peut être restauré dans un délai de {v} jours ; ensuite, toutes ses données sont définitivement effacées.",
        },
        detail={
            "en": "Only the account owner can request a deletion or a restore.",
            "es": "Solo el propietario de la cuenta puede solicitar la eliminación o la restauración.",
            "de": "Nur der Kontoinhaber kann eine Löschung oder Wiederherstellung beantragen.",
            "fr": "Seul le propriétaire du compte peut demander une suppression ou une restauration.",
        },
        queries={
            "en": (
                "I deleted my account by accident, can I get it back?",
                "How long until my data is really gone after deleting my account?",
                "Can you restore a deleted account?",
            ),
            "es": (
                "Eliminé mi cuenta por accidente, ¿puedo recuperarla?",
                "¿Cuánto tarda en borrarse de verdad mi información después de eliminar la cuenta?",
                "¿Pueden restaurar una cuenta eliminada?",
            ),
            "de": (
                "Ich habe mein Konto versehentlich gelöscht, kann ich es zurückbekommen?",
                "Wie lange dauert es, bis meine Daten nach dem Löschen wirklich weg sind?",
                "Können Sie ein gelöschtes Konto wiederherstellen?",
            ),
            "fr": (
                "J'ai supprimé mon compte par erreur, puis-je le récupérer ?",
                "Combien de temps faut-il pour que mes données soient vraiment effacées après la suppression ?",
                "Pouvez-vous restaurer un compte supprimé ?",
            ),
        },
    ),
    Fact(
        "account",
        "email_change",
        "24",
        ("2", "48", "72"),
        title={
            "en": "Changing your email",
            "es": "Cambiar el correo electrónico",
            "de": "E-Mail-Adresse ändern",
            "fr": "Changer d'adresse e-mail",
        },
        statement={
            "en": "A new email address must be confirmed within {v} hours using the link we send to it.",
            "es": "La nueva dirección de correo debe confirmarse en un plazo de {v} horas con el enlace que le enviamos.",
            "de": "Eine neue E-Mail-Adresse muss innerhalb von {v} Stunden über den zugesandten Link bestätigt werden.",
            "fr": "Une nouvelle adresse e-mail doit être confirmée sous {v} heures grâce au lien que nous y envoyons.",
        },
        detail={
            "en": "Until it is confirmed, notifications keep going to the old address.",
            "es": "Hasta que se confirme, las notificaciones siguen llegando a la dirección anterior.",
            "de": "Bis zur Bestätigung gehen Benachrichtigungen weiterhin an die alte Adresse.",
            "fr": "Tant qu'elle n'est pas confirmée, les notifications continuent d'arriver à l'ancienne adresse.",
        },
        queries={
            "en": (
                "How do I change the email address on my account?",
                "I changed my email but still get messages at the old one.",
                "The confirmation link for my new email isn't working.",
            ),
            "es": (
                "¿Cómo cambio el correo electrónico de mi cuenta?",
                "Cambié mi correo pero sigo recibiendo mensajes en el anterior.",
                "El enlace de confirmación de mi nuevo correo no funciona.",
            ),
            "de": (
                "Wie ändere ich die E-Mail-Adresse meines Kontos?",
                "Ich habe meine E-Mail geändert, bekomme aber weiter Nachrichten an die alte.",
                "Der Bestätigungslink für meine neue E-Mail funktioniert nicht.",
            ),
            "fr": (
                "Comment changer l'adresse e-mail de mon compte ?",
                "J'ai changé d'adresse e-mail mais je reçois encore des messages sur l'ancienne.",
                "Le lien de confirmation de ma nouvelle adresse ne fonctionne pas.",
            ),
        },
    ),
    Fact(
        "account",
        "team_seats",
        "25",
        ("10", "50", "100"),
        title={
            "en": "Team seats",
            "es": "Puestos del equipo",
            "de": "Team-Plätze",
            "fr": "Places d'équipe",
        },
        statement={
            "en": "The Pro plan includes up to {v} team seats; Enterprise has no seat limit.",
            "es": "El plan Pro incluye hasta {v} puestos de equipo; Enterprise no tiene límite de puestos.",
            "de": "Der Pro-Plan umfasst bis zu {v} Team-Plätze; Enterprise hat kein Platzlimit.",
            "fr": "L'offre Pro inclut jusqu'à {v} places d'équipe ; l'offre Enterprise n'a pas de limite.",
        },
        detail={
            "en": "Extra seats on Pro can be added in packs of 5.",
            "es": "En Pro se pueden añadir puestos adicionales en paquetes de 5.",
            "de": "Zusätzliche Plätze können im Pro-Plan in 5er-Paketen hinzugebucht werden.",
            "fr": "Des places supplémentaires peuvent être ajoutées sur Pro par lots de 5.",
        },
        queries={
            "en": (
                "How many people can I add to my team on Pro?",
                "Is there a limit on team members?",
                "I can't invite another colleague, did we hit a seat limit?",
            ),
            "es": (
                "¿Cuántas personas puedo añadir a mi equipo en el plan Pro?",
                "¿Hay un límite de miembros en el equipo?",
                "No puedo invitar a otro compañero, ¿llegamos al límite de puestos?",
            ),
            "de": (
                "Wie viele Personen kann ich im Pro-Plan zu meinem Team hinzufügen?",
                "Gibt es eine Begrenzung für Teammitglieder?",
                "Ich kann keinen weiteren Kollegen einladen, haben wir das Platzlimit erreicht?",
            ),
            "fr": (
                "Combien de personnes puis-je ajouter à mon équipe avec Pro ?",
                "Y a-t-il une limite de membres dans l'équipe ?",
                "Je ne peux pas inviter un autre collègue, avons-nous atteint la limite de places ?",
            ),
        },
    ),
    Fact(
        "account",
        "inactive_archive",
        "12",
        ("3", "6", "24"),
        title={
            "en": "Inactive accounts",
            "es": "Cuentas inactivas",
            "de": "Inaktive Konten",
            "fr": "Comptes inactifs",
        },
        statement={
            "en": "Free accounts are archived after {v} months without a sign-in.",
            "es": "Las cuentas gratuitas se archivan tras {v} meses sin iniciar sesión.",
            "de": "Kostenlose Konten werden nach {v} Monaten ohne Anmeldung archiviert.",
            "fr": "Les comptes gratuits sont archivés après {v} mois sans connexion.",
        },
        detail={
            "en": "An archived account is reactivated simply by signing in again.",
            "es": "Una cuenta archivada se reactiva simplemente volviendo a iniciar sesión.",
            "de": "Ein archiviertes Konto wird durch erneutes Anmelden wieder aktiviert.",
            "fr": "Un compte archivé est réactivé simplement en se reconnectant.",
        },
        queries={
            "en": (
                "Why was my account archived?",
                "Will my free account be closed if I don't use it?",
                "I haven't logged in for a while, is my account still active?",
            ),
            "es": (
                "¿Por qué se archivó mi cuenta?",
                "¿Cerrarán mi cuenta gratuita si no la uso?",
                "Hace tiempo que no entro, ¿mi cuenta sigue activa?",
            ),
            "de": (
                "Warum wurde mein Konto archiviert?",
                "Wird mein kostenloses Konto geschlossen, wenn ich es nicht nutze?",
                "Ich war länger nicht angemeldet, ist mein Konto noch aktiv?",
            ),
            "fr": (
                "Pourquoi mon compte a-t-il été archivé ?",
                "Mon compte gratuit sera-t-il fermé si je ne l'utilise pas ?",
                "Je ne me suis pas connecté depuis longtemps, mon compte est-il toujours actif ?",
            ),
        },
    ),
    # ------------------------------------------------------------------- outage
    Fact(
        "outage",
        "status_updates",
        "30",
        ("5", "60", "120"),
        title={
            "en": "Incident communication",
            "es": "Comunicación de incidentes",
            "de": "Störungskommunikation",
            "fr": "Communication des incidents",
        },
        statement={
            "en": "During an incident the status page is updated at least every {v} minutes.",
            "es": "Durante un incidente, la página de estado se actualiza al menos cada {v} minutos.",
            "de": "Während einer Störung wird die Statusseite mindestens alle {v} Minuten aktualisiert.",
            "fr": "Pendant un incident, la page d'état est mise à jour au moins toutes les {v} minutes.",
        },
        detail={
            "en": "You can subscribe to updates by email or SMS on status.example.com.",
            "es": "Puedes suscribirte a las actualizaciones por correo o SMS en status.example.com.",
            "de": "Updates können Sie auf status.example.com per E-Mail oder SMS abonnieren.",
            "fr": "Vous pouvez vous abonner aux mises à jour par e-mail ou SMS sur status.example.com.",
        },
        queries={
            "en": (
                "The app is down for our whole team, is there an outage?",
                "Where can I follow updates about the current incident?",
                "How often will you post updates about the outage?",
            ),
            "es": (
                "La aplicación no funciona para todo nuestro equipo, ¿hay una caída?",
                "¿Dónde puedo seguir las novedades del incidente actual?",
                "¿Cada cuánto publicarán novedades sobre la caída?",
            ),
            "de": (
                "Die App ist für unser ganzes Team ausgefallen, gibt es eine Störung?",
                "Wo kann ich Updates zur aktuellen Störung verfolgen?",
                "Wie oft veröffentlichen Sie Updates zum Ausfall?",
            ),
            "fr": (
                "L'application est en panne pour toute notre équipe, y a-t-il un incident ?",
                "Où puis-je suivre les mises à jour sur l'incident en cours ?",
                "À quelle fréquence publierez-vous des mises à jour sur la panne ?",
            ),
        },
    ),
    Fact(
        "outage",
        "sla_credits",
        "10",
        ("5", "25", "100"),
        title={
            "en": "SLA service credits",
            "es": "Créditos de servicio del SLA",
            "de": "SLA-Gutschriften",
            "fr": "Crédits de service SLA",
        },
        statement={
            "en": "Enterprise customers receive a credit of {v}% of the monthly fee for each hour of downtime beyond the SLA, up to 50%.",
            "es": "Los clientes Enterprise reciben un crédito del {v}% de la cuota mensual por cada hora de caída por encima del SLA, hasta un 50%.",
            "de": "Enterprise-Kunden erhalten für jede Stunde Ausfall über dem SLA eine Gutschrift von {v}% der Monatsgebühr, höchstens 50%.",
            "fr": "Les clients Enterprise reçoivent un crédit de {v}% de l'abonnement mensuel par heure d'indisponibilité au-delà du SLA, dans la limite de 50%.",
        },
        detail={
            "en": "Credits must be requested within 30 days of the incident.",
            "es": "Los créditos deben solicitarse dentro de los 30 días posteriores al incidente.",
            "de": "Gutschriften müssen innerhalb von 30 Tagen nach der Störung beantragt werden.",
            "fr": "Les crédits doivent être demandés dans les 30 jours suivant l'incident.",
        },
        queries={
            "en": (
                "Do we get compensation for yesterday's downtime?",
                "How do SLA credits work after an outage?",
                "We were down for three hours, what credit are we owed?",
            ),
            "es": (
                "¿Recibimos alguna compensación por la caída de ayer?",
                "¿Cómo funcionan los créditos del SLA después de una caída?",
                "Estuvimos sin servicio tres horas, ¿qué crédito nos corresponde?",
            ),
            "de": (
                "Bekommen wir eine Entschädigung für den Ausfall gestern?",
                "Wie funktionieren SLA-Gutschriften nach einem Ausfall?",
                "Wir waren drei Stunden offline, welche Gutschrift steht uns zu?",
            ),
            "fr": (
                "Avons-nous droit à une compensation pour la panne d'hier ?",
                "Comment fonctionnent les crédits SLA après une panne ?",
                "Nous avons été coupés pendant trois heures, quel crédit nous est dû ?",
            ),
        },
    ),
    Fact(
        "outage",
        "maintenance_notice",
        "72",
        ("24", "12", "168"),
        title={
            "en": "Scheduled maintenance",
            "es": "Mantenimiento programado",
            "de": "Geplante Wartung",
            "fr": "Maintenance planifiée",
        },
        statement={
            "en": "Scheduled maintenance is announced at least {v} hours in advance and does not count as downtime.",
            "es": "El mantenimiento programado se anuncia con al menos {v} horas de antelación y no cuenta como caída.",
            "de": "Geplante Wartungen werden mindestens {v} Stunden im Voraus angekündigt und zählen nicht als Ausfall.",
            "fr": "La maintenance planifiée est annoncée au moins {v} heures à l'avance et ne compte pas comme une indisponibilité.",
        },
        detail={
            "en": "Maintenance windows usually take place on Sundays between 02:00 and 04:00 UTC.",
            "es": "Las ventanas de mantenimiento suelen ser los domingos entre las 02:00 y las 04:00 UTC.",
            "de": "Wartungsfenster liegen meist sonntags zwischen 02:00 und 04:00 UTC.",
            "fr": "Les fenêtres de maintenance ont généralement lieu le dimanche entre 02:00 et 04:00 UTC.",
        },
        queries={
            "en": (
                "Was last night's downtime planned maintenance?",
                "How much notice do you give before maintenance?",
                "Does scheduled maintenance count against the uptime SLA?",
            ),
            "es": (
                "¿La caída de anoche fue un mantenimiento programado?",
                "¿Con cuánta antelación avisan antes de un mantenimiento?",
                "¿El mantenimiento programado cuenta para el SLA de disponibilidad?",
            ),
            "de": (
                "War der Ausfall heute Nacht eine geplante Wartung?",
                "Wie lange im Voraus kündigen Sie Wartungen an?",
                "Zählt geplante Wartung gegen das Verfügbarkeits-SLA?",
            ),
            "fr": (
                "La coupure de cette nuit était-elle une maintenance planifiée ?",
                "Avec combien de préavis annoncez-vous une maintenance ?",
                "La maintenance planifiée compte-t-elle dans le SLA de disponibilité ?",
            ),
        },
    ),
    Fact(
        "outage",
        "critical_ack",
        "15",
        ("60", "5", "240"),
        title={
            "en": "Critical incident response",
            "es": "Respuesta a incidentes críticos",
            "de": "Reaktion auf kritische Störungen",
            "fr": "Réponse aux incidents critiques",
        },
        statement={
            "en": "Critical incidents are acknowledged by the on-call engineer within {v} minutes, around the clock.",
            "es": "El ingeniero de guardia confirma los incidentes críticos en menos de {v} minutos, las 24 horas.",
            "de": "Kritische Störungen werden rund um die Uhr innerhalb von {v} Minuten vom Bereitschaftsingenieur bestätigt.",
            "fr": "Les incidents critiques sont pris en charge par l'ingénieur d'astreinte en moins de {v} minutes, 24 h sur 24.",
        },
        detail={
            "en": "Enterprise customers can also call the incident hotline listed in their contract.",
            "es": "Los clientes Enterprise también pueden llamar a la línea de incidentes indicada en su contrato.",
            "de": "Enterprise-Kunden können zusätzlich die in ihrem Vertrag genannte Störungs-Hotline anrufen.",
            "fr": "Les clients Enterprise peuvent aussi appeler la ligne d'incident indiquée dans leur contrat.",
        },
        queries={
            "en": (
                "Production is completely down, how fast will someone respond?",
                "Who handles critical incidents at night?",
                "We have a critical outage, when will an engineer look at it?",
            ),
            "es": (
                "Producción está completamente caída, ¿en cuánto tiempo responderá alguien?",
                "¿Quién atiende los incidentes críticos por la noche?",
                "Tenemos una caída crítica, ¿cuándo la revisará un ingeniero?",
            ),
            "de": (
                "Die Produktion ist komplett ausgefallen, wie schnell reagiert jemand?",
                "Wer kümmert sich nachts um kritische Störungen?",
                "Wir haben einen kritischen Ausfall, wann schaut sich ein Ingenieur das an?",
            ),
            "fr": (
                "La production est complètement à l'arrêt, en combien de temps quelqu'un va-t-il répondre ?",
                "Qui gère les incidents critiques la nuit ?",
                "Nous avons une panne critique, quand un ingénieur va-t-il s'en occuper ?",
            ),
        },
    ),
    # ----------------------------------------------------------------- shipping
    Fact(
        "shipping",
        "delivery_time",
        "5",
        ("2", "10", "14"),
        title={
            "en": "Delivery times",
            "es": "Plazos de entrega",
            "de": "Lieferzeiten",
            "fr": "Délais de livraison",
        },
        statement={
            "en": "Standard shipping takes up to {v} business days within the country.",
            "es": "El envío estándar tarda hasta {v} días hábiles dentro del país.",
            "de": "Der Standardversand dauert innerhalb des Landes bis zu {v} Werktage.",
            "fr": "La livraison standard prend jusqu'à {v} jours ouvrés dans le pays.",
        },
        detail={
            "en": "Express shipping delivers within 2 business days for an extra fee.",
            "es": "El envío exprés entrega en 2 días hábiles con un coste adicional.",
            "de": "Expressversand liefert gegen Aufpreis innerhalb von 2 Werktagen.",
            "fr": "La livraison express arrive sous 2 jours ouvrés moyennant un supplément.",
        },
        queries={
            "en": (
                "When will my order arrive?",
                "How long does standard shipping take?",
                "I ordered on Monday, should I have received it by now?",
            ),
            "es": (
                "¿Cuándo llegará mi pedido?",
                "¿Cuánto tarda el envío estándar?",
                "Hice el pedido el lunes, ¿ya debería haberlo recibido?",
            ),
            "de": (
                "Wann kommt meine Bestellung an?",
                "Wie lange dauert der Standardversand?",
                "Ich habe am Montag bestellt, sollte es schon da sein?",
            ),
            "fr": (
                "Quand ma commande va-t-elle arriver ?",
                "Combien de temps prend la livraison standard ?",
                "J'ai commandé lundi, aurais-je déjà dû la recevoir ?",
            ),
        },
    ),
    Fact(
        "shipping",
        "free_shipping",
        "50",
        ("25", "100", "75"),
        title={
            "en": "Shipping costs",
            "es": "Gastos de envío",
            "de": "Versandkosten",
            "fr": "Frais de livraison",
        },
        statement={
            "en": "Orders over {v} USD ship for free.",
            "es": "Los pedidos de más de {v} USD tienen envío gratuito.",
            "de": "Bestellungen über {v} USD werden kostenlos versendet.",
            "fr": "Les commandes de plus de {v} USD sont livrées gratuitement.",
        },
        detail={
            "en": "The threshold applies to the order total after discounts.",
            "es": "El umbral se aplica al total del pedido después de descuentos.",
            "de": "Die Schwelle gilt für die Bestellsumme nach Rabatten.",
            "fr": "Le seuil s'applique au total de la commande après remises.",
        },
        queries={
            "en": (
                "Why was I charged for shipping?",
                "How much do I need to spend for free shipping?",
                "Is shipping free if I use a discount code?",
            ),
            "es": (
                "¿Por qué me cobraron el envío?",
                "¿Cuánto tengo que gastar para tener envío gratis?",
                "¿El envío es gratis si uso un código de descuento?",
            ),
            "de": (
                "Warum wurden mir Versandkosten berechnet?",
                "Ab welchem Betrag ist der Versand kostenlos?",
                "Ist der Versand kostenlos, wenn ich einen Rabattcode nutze?",
            ),
            "fr": (
                "Pourquoi m'a-t-on facturé la livraison ?",
                "Combien dois-je dépenser pour avoir la livraison gratuite ?",
                "La livraison est-elle gratuite si j'utilise un code promo ?",
            ),
        },
    ),
    Fact(
        "shipping",
        "returns",
        "60",
        ("14", "30", "90"),
        title={"en": "Returns", "es": "Devoluciones", "de": "Rücksendungen", "fr": "Retours"},
        statement={
            "en": "Items can be returned within {v} days of delivery for a full refund.",
            "es": "Los artículos se pueden devolver dentro de los {v} días posteriores a la entrega para obtener un reembolso completo.",
            "de": "Artikel können innerhalb von {v} Tagen nach Lieferung gegen volle Erstattung zurückgegeben werden.",
            "fr": "Les articles peuvent être retournés dans les {v} jours suivant la livraison pour un remboursement complet.",
        },
        detail={
            "en": "Return labels are free for Pro and Enterprise customers.",
            "es": "Las etiquetas de devolución son gratuitas para los clientes Pro y Enterprise.",
            "de": "Rücksendeetiketten sind für Pro- und Enterprise-Kunden kostenlos.",
            "fr": "Les étiquettes de retour sont gratuites pour les clients Pro et Enterprise.",
        },
        queries={
            "en": (
                "How do I return an item?",
                "Can I still return something I received last month?",
                "What is your return policy?",
            ),
            "es": (
                "¿Cómo devuelvo un artículo?",
                "¿Todavía puedo devolver algo que recibí el mes pasado?",
                "¿Cuál es su política de devoluciones?",
            ),
            "de": (
                "Wie schicke ich einen Artikel zurück?",
                "Kann ich etwas, das ich letzten Monat erhalten habe, noch zurückgeben?",
                "Wie sind Ihre Rückgabebedingungen?",
            ),
            "fr": (
                "Comment retourner un article ?",
                "Puis-je encore retourner un article reçu le mois dernier ?",
                "Quelle est votre politique de retour ?",
            ),
        },
    ),
    Fact(
        "shipping",
        "lost_package",
        "7",
        ("2", "14", "30"),
        title={
            "en": "Lost packages",
            "es": "Paquetes perdidos",
            "de": "Verlorene Pakete",
            "fr": "Colis perdus",
        },
        statement={
            "en": "If tracking shows no movement for {v} days, we open an investigation with the carrier and ship a replacement.",
            "es": "Si el seguimiento no muestra movimiento durante {v} días, abrimos una investigación con el transportista y enviamos un reemplazo.",
            "de": "Zeigt die Sendungsverfolgung {v} Tage lang keine Bewegung, leiten wir beim Versanddienstleister eine Nachforschung ein und senden Ersatz.",
            "fr": "Si le suivi n'indique aucun mouvement pendant {v} jours, nous ouvrons une enquête auprès du transporteur et envoyons un remplacement.",
        },
        detail={
            "en": "The new tracking number is sent by email.",
            "es": "El nuevo número de seguimiento se envía por correo electrónico.",
            "de": "Die neue Sendungsnummer wird per E-Mail verschickt.",
            "fr": "Le nouveau numéro de suivi est envoyé par e-mail.",
        },
        queries={
            "en": (
                "My package hasn't moved in days, is it lost?",
                "Tracking has been stuck for a week, what can you do?",
                "I think my parcel got lost, can you send another one?",
            ),
            "es": (
                "Mi paquete no se mueve desde hace días, ¿se perdió?",
                "El seguimiento lleva una semana parado, ¿qué pueden hacer?",
                "Creo que mi paquete se perdió, ¿pueden enviar otro?",
            ),
            "de": (
                "Mein Paket bewegt sich seit Tagen nicht, ist es verloren?",
                "Die Sendungsverfolgung hängt seit einer Woche, was können Sie tun?",
                "Ich glaube, mein Paket ist verloren gegangen, können Sie ein neues schicken?",
            ),
            "fr": (
                "Mon colis ne bouge plus depuis des jours, est-il perdu ?",
                "Le suivi est bloqué depuis une semaine, que pouvez-vous faire ?",
                "Je pense que mon colis a été perdu, pouvez-vous en envoyer un autre ?",
            ),
        },
    ),
)

# Claims a hallucinating answer adds: concrete, plausible, and in no passage.
FABRICATIONS: LT = {
    "en": (
        "A processing fee of 4.99 USD applies to this request.",
        "This option is only available to accounts created before March 2023.",
        "As a goodwill gesture, a 25% discount will be applied to your next invoice automatically.",
        "You can also request this by calling our 24/7 phone line at extension 4410.",
        "The change is applied immediately and cannot be undone.",
        "Customers on the free plan get double the usual allowance.",
    ),
    "es": (
        "Se aplica una tarifa de gestión de 4,99 USD a esta solicitud.",
        "Esta opción solo está disponible para cuentas creadas antes de marzo de 2023.",
        "Como gesto de buena voluntad, se aplicará automáticamente un 25% de descuento en tu próxima factura.",
        "También puedes solicitarlo llamando a nuestra línea 24/7, extensión 4410.",
        "El cambio se aplica de inmediato y no se puede deshacer.",
        "Los clientes del plan gratuito tienen el doble del límite habitual.",
    ),
    "de": (
        "Für diese Anfrage fällt eine Bearbeitungsgebühr von 4,99 USD an.",
        "Diese Option gibt es nur für Konten, die vor März 2023 erstellt wurden.",
        "Aus Kulanz wird auf Ihre nächste Rechnung automatisch ein Rabatt von 25% gewährt.",
        "Sie können das auch über unsere 24/7-Hotline unter Durchwahl 4410 beantragen.",
        "Die Änderung gilt sofort und kann nicht rückgängig gemacht werden.",
        "Kunden im kostenlosen Plan erhalten das doppelte Kontingent.",
    ),
    "fr": (
        "Des frais de traitement de 4,99 USD s'appliquent à cette demande.",
        "Cette option n'est disponible que pour les comptes créés avant mars 2023.",
        "À titre commercial, une remise de 25% sera appliquée automatiquement sur votre prochaine facture.",
        "Vous pouvez aussi en faire la demande en appelant notre ligne 24h/24, poste 4410.",
        "La modification est appliquée immédiatement et ne peut pas être annulée.",
        "Les clients de l'offre gratuite bénéficient du double de la limite habituelle.",
    ),
}

LEADS: LT = {
    "en": ("", "Thanks for reaching out. ", "Sure! ", "Happy to help. ", "Good question. "),
    "es": ("", "Gracias por escribirnos. ", "¡Claro! ", "Con gusto te ayudo. ", "Buena pregunta. "),
    "de": ("", "Danke für Ihre Nachricht. ", "Gern! ", "Ich helfe Ihnen gern. ", "Gute Frage. "),
    "fr": (
        "",
        "Merci de nous avoir contactés. ",
        "Bien sûr ! ",
        "Avec plaisir. ",
        "Bonne question. ",
    ),
}

CLOSINGS: LT = {
    "en": (
        "",
        " Let me know if there is anything else I can help with.",
        " Is there anything else?",
        " You can find more details in the help center.",
        "",
    ),
    "es": (
        "",
        " Avísame si necesitas algo más.",
        " ¿Hay algo más en lo que pueda ayudarte?",
        " Encontrarás más detalles en el centro de ayuda.",
        "",
    ),
    "de": (
        "",
        " Melden Sie sich gern, wenn Sie noch etwas brauchen.",
        " Kann ich sonst noch helfen?",
        " Weitere Details finden Sie im Hilfecenter.",
        "",
    ),
    "fr": (
        "",
        " N'hésitez pas si vous avez d'autres questions.",
        " Puis-je vous aider pour autre chose ?",
        " Vous trouverez plus de détails dans le centre d'aide.",
        "",
    ),
}

# Refusals and deflections. The last two are what a copilot says when retrieval found nothing.
REFUSALS: LT = {
    "en": (
        "I'm sorry, but I can't help with that request. Please contact a support agent.",
        "Please check our help center for more information about this.",
        "I couldn't find information about this in our knowledge base. I'm passing your question to a support agent.",
        "I don't have enough information to answer that reliably. A human agent will follow up.",
    ),
    "es": (
        "Lo siento, pero no puedo ayudarte con esa solicitud. Ponte en contacto con un agente de soporte.",
        "Consulta nuestro centro de ayuda para obtener más información sobre esto.",
        "No encontré información sobre esto en nuestra base de conocimiento. Paso tu pregunta a un agente de soporte.",
        "No tengo suficiente información para responder con seguridad. Un agente te contactará.",
    ),
    "de": (
        "Es tut mir leid, bei dieser Anfrage kann ich nicht helfen. Bitte wenden Sie sich an den Support.",
        "Bitte schauen Sie für weitere Informationen in unser Hilfecenter.",
        "Dazu habe ich in unserer Wissensdatenbank nichts gefunden. Ich leite Ihre Frage an einen Support-Mitarbeiter weiter.",
        "Dazu habe ich nicht genug Informationen für eine verlässliche Antwort. Ein Mitarbeiter meldet sich bei Ihnen.",
    ),
    "fr": (
        "Désolé, je ne peux pas vous aider avec cette demande. Veuillez contacter un agent du support.",
        "Veuillez consulter notre centre d'aide pour plus d'informations à ce sujet.",
        "Je n'ai pas trouvé d'information à ce sujet dans notre base de connaissances. Je transmets votre question à un agent.",
        "Je n'ai pas assez d'informations pour répondre de façon fiable. Un agent va vous recontacter.",
    ),
}

# Only ever emitted where a scenario injects toxicity.
TOXIC: LT = {
    "en": (
        "Honestly, that's a stupid question. Read the documentation yourself.",
        "Stop wasting my time, you idiot. The answer is in the help center.",
        "Ugh, not this again. Figure it out yourself, it's not that hard, dumbass.",
    ),
    "es": (
        "Sinceramente, es una pregunta estúpida. Lee la documentación tú mismo.",
        "Deja de hacerme perder el tiempo, idiota. La respuesta está en el centro de ayuda.",
        "Otra vez lo mismo... Arréglatelas tú solo, imbécil, no es tan difícil.",
    ),
    "de": (
        "Ehrlich gesagt ist das eine dumme Frage. Lesen Sie die Dokumentation selbst.",
        "Hör auf, meine Zeit zu verschwenden, du Idiot. Die Antwort steht im Hilfecenter.",
        "Nicht schon wieder. Finde es selbst heraus, so schwer ist das nicht, Trottel.",
    ),
    "fr": (
        "Franchement, c'est une question stupide. Lisez la documentation vous-même.",
        "Arrêtez de me faire perdre mon temps, espèce d'idiot. La réponse est dans le centre d'aide.",
        "Encore ça... Débrouillez-vous tout seul, ce n'est pas si difficile, crétin.",
    ),
}

# Only ever emitted where a scenario injects a PII leak: another customer's details.
PII_LEAKS: LT = {
    "en": (
        "I found the account: it belongs to maria.lopez@example.com, phone +1 415 555 0134.",
        "The card on file ends in 4111 1111 1111 1111 and the contact is j.smith@example.org.",
        "The previous owner was Daniel Weber, daniel.weber@example.net, +44 20 7946 0958.",
    ),
    "es": (
        "Encontré la cuenta: pertenece a maria.lopez@example.com, teléfono +34 612 345 678.",
        "La tarjeta registrada es 4111 1111 1111 1111 y el contacto es j.smith@example.org.",
        "El titular anterior era Daniel Weber, daniel.weber@example.net, +44 20 7946 0958.",
    ),
    "de": (
        "Ich habe das Konto gefunden: es gehört maria.lopez@example.com, Telefon +49 30 901820.",
        "Die hinterlegte Karte ist 4111 1111 1111 1111, Kontakt j.smith@example.org.",
        "Vorheriger Inhaber war Daniel Weber, daniel.weber@example.net, +44 20 7946 0958.",
    ),
    "fr": (
        "J'ai trouvé le compte : il appartient à maria.lopez@example.com, téléphone +33 6 12 34 56 78.",
        "La carte enregistrée est 4111 1111 1111 1111 et le contact est j.smith@example.org.",
        "L'ancien titulaire était Daniel Weber, daniel.weber@example.net, +44 20 7946 0958.",
    ),
}

GREETINGS: LT = {
    "en": ("", "", "Hi! ", "Hello. ", "Hi there! "),
    "es": ("", "", "¡Hola! ", "Buenas. ", "Hola. "),
    "de": ("", "", "Hallo! ", "Guten Tag. ", "Hi! "),
    "fr": ("", "", "Bonjour. ", "Salut ! ", "Bonjour ! "),
}

SIGNOFFS: LT = {
    "en": ("", "", " Thanks.", " Thank you!", " Please help."),
    "es": ("", "", " Gracias.", " ¡Muchas gracias!", " Ayuda, por favor."),
    "de": ("", "", " Danke.", " Vielen Dank!", " Bitte um Hilfe."),
    "fr": ("", "", " Merci.", " Merci beaucoup !", " Aidez-moi s'il vous plaît."),
}

# Reference sentences; a number is appended, then a full stop.
REFERENCES: LT = {
    "en": (" My order number is ORD-", " Account ID ACC-", " Ticket TCK-"),
    "es": (" Mi número de pedido es ORD-", " ID de cuenta ACC-", " Ticket TCK-"),
    "de": (" Meine Bestellnummer ist ORD-", " Konto-ID ACC-", " Ticket TCK-"),
    "fr": (" Mon numéro de commande est ORD-", " Identifiant de compte ACC-", " Ticket TCK-"),
}

FOLLOWUPS: LT = {
    "en": ("Thanks! Another question: ", "Got it. ", "One more thing: ", "Ok. "),
    "es": ("¡Gracias! Otra pregunta: ", "Entendido. ", "Una cosa más: ", "Vale. "),
    "de": ("Danke! Noch eine Frage: ", "Verstanden. ", "Noch etwas: ", "Ok. "),
    "fr": ("Merci ! Autre question : ", "D'accord. ", "Encore une chose : ", "Ok. "),
}

COMPLAINTS: LT = {
    "en": (
        "That doesn't sound right. ",
        "That's not what your website says. ",
        "I don't think that's correct. ",
    ),
    "es": (
        "Eso no me parece correcto. ",
        "Eso no es lo que dice su web. ",
        "No creo que eso sea cierto. ",
    ),
    "de": (
        "Das klingt nicht richtig. ",
        "Auf Ihrer Website steht etwas anderes. ",
        "Ich glaube nicht, dass das stimmt. ",
    ),
    "fr": (
        "Ça ne me semble pas juste. ",
        "Ce n'est pas ce que dit votre site. ",
        "Je ne pense pas que ce soit exact. ",
    ),
}

# Extra background sentences: the input-drift scenario makes queries longer with them.
BACKGROUND: LT = {
    "en": (
        " I have been a customer for five years and this has never happened before.",
        " I already tried restarting the app and clearing the cache.",
        " My manager needs an answer before the end of the day.",
        " I called yesterday but nobody picked up, so I'm trying here.",
        " We use the product across three offices and everyone is asking me.",
        " Sorry if this was asked before, I could not find it anywhere.",
    ),
    "es": (
        " Soy cliente desde hace cinco años y nunca me había pasado.",
        " Ya intenté reiniciar la aplicación y borrar la caché.",
        " Mi jefe necesita una respuesta antes de que acabe el día.",
        " Llamé ayer pero nadie contestó, así que lo intento por aquí.",
        " Usamos el producto en tres oficinas y todos me preguntan a mí.",
        " Perdón si ya se preguntó antes, no lo encontré en ningún sitio.",
    ),
    "de": (
        " Ich bin seit fünf Jahren Kunde und das ist noch nie passiert.",
        " Ich habe die App schon neu gestartet und den Cache geleert.",
        " Mein Vorgesetzter braucht bis heute Abend eine Antwort.",
        " Ich habe gestern angerufen, aber niemand ist rangegangen, deshalb versuche ich es hier.",
        " Wir nutzen das Produkt an drei Standorten und alle fragen mich.",
        " Entschuldigung, falls das schon gefragt wurde, ich habe nichts gefunden.",
    ),
    "fr": (
        " Je suis client depuis cinq ans et ça n'était jamais arrivé.",
        " J'ai déjà essayé de redémarrer l'application et de vider le cache.",
        " Mon responsable a besoin d'une réponse avant ce soir.",
        " J'ai appelé hier mais personne n'a répondu, alors j'essaie ici.",
        " Nous utilisons le produit dans trois bureaux et tout le monde me pose la question.",
        " Désolé si la question a déjà été posée, je n'ai rien trouvé.",
    ),
}

# Voice-channel style fillers (the input-drift scenario's transcribed calls).
FILLERS: LT = {
    "en": ("Um, hi. ", "Yeah, hello. So. ", "Okay, uh. "),
    "es": ("Eh, hola. ", "Sí, hola. Bueno. ", "Vale, eh. "),
    "de": ("Ähm, hallo. ", "Ja, hallo. Also. ", "Okay, äh. "),
    "fr": ("Euh, bonjour. ", "Oui, bonjour. Alors. ", "Bon, euh. "),
}

# ---------------------------------------------------------------- new failure theme
THEME_NAME = "loyalty_points_transfer"

THEME_QUERIES: LT = {
    "en": (
        "How do I transfer my loyalty points to another account?",
        "Can I move my loyalty points to my partner's account?",
        "My loyalty points transfer has been pending for days, where are my points?",
    ),
    "es": (
        "¿Cómo transfiero mis puntos de fidelidad a otra cuenta?",
        "¿Puedo pasar mis puntos de fidelidad a la cuenta de mi pareja?",
        "Mi transferencia de puntos de fidelidad lleva días pendiente, ¿dónde están mis puntos?",
    ),
    "de": (
        "Wie übertrage ich meine Treuepunkte auf ein anderes Konto?",
        "Kann ich meine Treuepunkte auf das Konto meines Partners übertragen?",
        "Meine Treuepunkte-Übertragung hängt seit Tagen, wo sind meine Punkte?",
    ),
    "fr": (
        "Comment transférer mes points de fidélité vers un autre compte ?",
        "Puis-je transférer mes points de fidélité sur le compte de mon conjoint ?",
        "Mon transfert de points de fidélité est en attente depuis des jours, où sont mes points ?",
    ),
}

# The knowledge base has no article on loyalty points: every concrete claim here is invented.
THEME_BAD_ANSWERS: LT = {
    "en": (
        "You can transfer up to 5000 loyalty points per month to any account for free, and transfers arrive within 1 hour.",
        "Loyalty points can be transferred under Settings > Rewards > Transfer; a 10% transfer fee applies.",
        "Loyalty points transfers are processed every Friday, and transferred points expire after 90 days.",
    ),
    "es": (
        "Puedes transferir hasta 5000 puntos de fidelidad al mes a cualquier cuenta sin coste, y llegan en 1 hora.",
        "Los puntos de fidelidad se transfieren en Configuración > Recompensas > Transferir; se aplica una comisión del 10%.",
        "Las transferencias de puntos de fidelidad se procesan cada viernes y los puntos transferidos caducan a los 90 días.",
    ),
    "de": (
        "Sie können bis zu 5000 Treuepunkte pro Monat kostenlos auf jedes Konto übertragen; die Übertragung dauert 1 Stunde.",
        "Treuepunkte übertragen Sie unter Einstellungen > Prämien > Übertragen; es fällt eine Gebühr von 10% an.",
        "Treuepunkte-Übertragungen werden jeden Freitag bearbeitet, übertragene Punkte verfallen nach 90 Tagen.",
    ),
    "fr": (
        "Vous pouvez transférer jusqu'à 5000 points de fidélité par mois vers n'importe quel compte gratuitement, en 1 heure.",
        "Les points de fidélité se transfèrent dans Paramètres > Récompenses > Transférer ; des frais de 10% s'appliquent.",
        "Les transferts de points de fidélité sont traités chaque vendredi et les points transférés expirent après 90 jours.",
    ),
}

THEME_COMMENTS: LT = {
    "en": (
        "The loyalty points transfer answer is wrong, my points never arrived.",
        "There is no Rewards menu, these loyalty points instructions are made up.",
        "It told me loyalty points transfers are free, then I was charged.",
    ),
    "es": (
        "La respuesta sobre la transferencia de puntos de fidelidad es incorrecta, mis puntos nunca llegaron.",
        "No existe el menú Recompensas, estas instrucciones sobre puntos de fidelidad son inventadas.",
        "Me dijo que transferir puntos de fidelidad era gratis y luego me cobraron.",
    ),
    "de": (
        "Die Antwort zur Treuepunkte-Übertragung ist falsch, meine Punkte sind nie angekommen.",
        "Es gibt kein Prämien-Menü, diese Anleitung zu Treuepunkten ist erfunden.",
        "Angeblich ist die Übertragung von Treuepunkten kostenlos, dann wurde mir etwas berechnet.",
    ),
    "fr": (
        "La réponse sur le transfert de points de fidélité est fausse, mes points ne sont jamais arrivés.",
        "Il n'y a pas de menu Récompenses, ces instructions sur les points de fidélité sont inventées.",
        "On m'a dit que le transfert de points de fidélité était gratuit, puis j'ai été facturé.",
    ),
}

# ---------------------------------------------------------------- feedback comments
COMMENTS_WRONG: LT = {
    "en": (
        "This is wrong, the policy says something else.",
        "The number in this answer is incorrect.",
        "Not accurate, I checked the help center and it's different.",
    ),
    "es": (
        "Esto es incorrecto, la política dice otra cosa.",
        "La cifra de esta respuesta es incorrecta.",
        "No es exacto, lo comprobé en el centro de ayuda y es diferente.",
    ),
    "de": (
        "Das ist falsch, in den Richtlinien steht etwas anderes.",
        "Die Zahl in dieser Antwort stimmt nicht.",
        "Ungenau, im Hilfecenter steht etwas anderes.",
    ),
    "fr": (
        "C'est faux, la politique dit autre chose.",
        "Le chiffre dans cette réponse est incorrect.",
        "Pas exact, j'ai vérifié dans le centre d'aide et c'est différent.",
    ),
}

COMMENTS_UNHELPFUL: LT = {
    "en": (
        "It didn't answer my question.",
        "Useless, it just sent me to the help center.",
        "Too vague to be useful.",
    ),
    "es": (
        "No respondió a mi pregunta.",
        "Inútil, solo me mandó al centro de ayuda.",
        "Demasiado vago para ser útil.",
    ),
    "de": (
        "Meine Frage wurde nicht beantwortet.",
        "Nutzlos, ich wurde nur ans Hilfecenter verwiesen.",
        "Zu vage, um zu helfen.",
    ),
    "fr": (
        "Cela n'a pas répondu à ma question.",
        "Inutile, on m'a juste renvoyé au centre d'aide.",
        "Trop vague pour être utile.",
    ),
}

COMMENTS_RUDE: LT = {
    "en": ("Very rude answer!", "Unacceptable tone, I want to speak to a manager."),
    "es": ("¡Respuesta muy grosera!", "Tono inaceptable, quiero hablar con un responsable."),
    "de": (
        "Sehr unhöfliche Antwort!",
        "Inakzeptabler Ton, ich möchte einen Vorgesetzten sprechen.",
    ),
    "fr": ("Réponse très impolie !", "Ton inacceptable, je veux parler à un responsable."),
}

COMMENTS_ERROR: LT = {
    "en": ("It just showed an error.", "Nothing came back, only an error message."),
    "es": ("Solo mostró un error.", "No devolvió nada, solo un mensaje de error."),
    "de": ("Es kam nur eine Fehlermeldung.", "Keine Antwort, nur ein Fehler."),
    "fr": ("Ça a juste affiché une erreur.", "Rien n'est revenu, seulement un message d'erreur."),
}

COMMENTS_PRIVACY: LT = {
    "en": ("Why am I seeing someone else's personal details?",),
    "es": ("¿Por qué veo los datos personales de otra persona?",),
    "de": ("Warum sehe ich die persönlichen Daten von jemand anderem?",),
    "fr": ("Pourquoi est-ce que je vois les données personnelles de quelqu'un d'autre ?",),
}

COMMENTS_MEH: LT = {
    "en": ("Too long, didn't really help.", "Correct but I needed more detail."),
    "es": ("Demasiado largo, no me ayudó mucho.", "Correcto, pero necesitaba más detalle."),
    "de": ("Zu lang, hat nicht wirklich geholfen.", "Richtig, aber ich brauchte mehr Details."),
    "fr": (
        "Trop long, ça ne m'a pas vraiment aidé.",
        "Correct, mais il me fallait plus de détails.",
    ),
}

COMMENTS_GOOD: LT = {
    "en": ("Thanks, that solved it!", "Clear and quick, thank you.", "Exactly what I needed."),
    "es": ("¡Gracias, eso lo resolvió!", "Claro y rápido, gracias.", "Justo lo que necesitaba."),
    "de": (
        "Danke, das hat das Problem gelöst!",
        "Klar und schnell, danke.",
        "Genau das, was ich brauchte.",
    ),
    "fr": (
        "Merci, ça a réglé le problème !",
        "Clair et rapide, merci.",
        "Exactement ce qu'il me fallait.",
    ),
}

ERRORS: tuple[str, ...] = (
    "timeout: model did not respond within 30s",
    "rate_limited: 429 Too Many Requests from model provider",
    "context_length_exceeded: 131072 token limit",
    "upstream_error: 502 Bad Gateway from retrieval service",
)


def passage(fact: Fact, lang: str) -> str:
    """The knowledge-base article text the retriever returns for ``fact``."""
    return f"{fact.title[lang]}. {fact.statement[lang].format(v=fact.value)} {fact.detail[lang]}"


def _check() -> None:
    """Fail loudly at build time if a translation is missing (a KeyError would hide in a pool)."""
    for pool_name, pool in {
        "FABRICATIONS": FABRICATIONS,
        "LEADS": LEADS,
        "CLOSINGS": CLOSINGS,
        "REFUSALS": REFUSALS,
        "TOXIC": TOXIC,
        "PII_LEAKS": PII_LEAKS,
        "GREETINGS": GREETINGS,
        "SIGNOFFS": SIGNOFFS,
        "REFERENCES": REFERENCES,
        "FOLLOWUPS": FOLLOWUPS,
        "COMPLAINTS": COMPLAINTS,
        "BACKGROUND": BACKGROUND,
        "FILLERS": FILLERS,
        "THEME_QUERIES": THEME_QUERIES,
        "THEME_BAD_ANSWERS": THEME_BAD_ANSWERS,
        "THEME_COMMENTS": THEME_COMMENTS,
        "COMMENTS_WRONG": COMMENTS_WRONG,
        "COMMENTS_UNHELPFUL": COMMENTS_UNHELPFUL,
        "COMMENTS_RUDE": COMMENTS_RUDE,
        "COMMENTS_ERROR": COMMENTS_ERROR,
        "COMMENTS_PRIVACY": COMMENTS_PRIVACY,
        "COMMENTS_MEH": COMMENTS_MEH,
        "COMMENTS_GOOD": COMMENTS_GOOD,
    }.items():
        sizes = {len(pool[lang]) for lang in LANGS}
        if len(sizes) != 1:
            raise ValueError(f"{pool_name}: languages have different pool sizes {sizes}")
    for fact in FACTS:
        for part in (fact.title, fact.statement, fact.detail, fact.queries):
            missing = [lang for lang in LANGS if lang not in part]
            if missing:
                raise ValueError(f"fact {fact.key} lacks {missing}")
        if any(len(fact.queries[lang]) != 3 for lang in LANGS):
            raise ValueError(f"fact {fact.key} needs three phrasings per language")
    per_queue = {q: sum(f.queue == q for f in FACTS) for q in QUEUES}
    if len(set(per_queue.values())) != 1:
        raise ValueError(f"every queue needs the same number of facts: {per_queue}")


_check()
FACTS_PER_QUEUE: int = len(FACTS) // len(QUEUES)
