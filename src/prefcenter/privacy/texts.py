"""What the privacy center tells the person, in their language (the widget's languages): the code, the
receipt, an extension with its reason, the completion of each kind of request, and the hosted pages.
Pure: no HTTP, no database. A missing locale falls back to English."""

from __future__ import annotations

from prefcenter.i18n import DEFAULT_LOCALE, LOCALES

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "type_access": "a copy of your data",
        "type_portability": "your data in a portable format",
        "type_erasure": "the erasure of your data",
        "type_rectification": "the correction of your data",
        "type_restriction": "the restriction of the use of your data",
        "type_objection": "your objection to the use of your data",
        "code_subject": "{company}: your confirmation code",
        "code_text": (
            "You asked {company} for {what}.\n\nYour confirmation code: {code}\n\n"
            "If you did not ask for this, ignore this message: nothing will happen."
        ),
        "code_sms": "{company}: your confirmation code is {code}",
        "receipt_subject": "{company}: we received your request",
        "receipt_text": (
            "Thank you. We received your request for {what} on {received} and will answer by {due}.\n\n"
            "We will write to you again when it is done."
        ),
        "extended_subject": "{company}: your request needs more time",
        "extended_text": (
            "We need more time to answer your request for {what}. We will answer by {due}.\n\nThe reason: {reason}"
        ),
        "done_subject": "{company}: your request is done",
        "done_erasure": (
            "We erased your data as you asked. We keep only a one-way fingerprint of your address, so that "
            "we do not add it again or contact you. This is the last message you receive from us."
        ),
        "done_access": (
            "Your data is ready. Open this link to download it (it works once and expires on {expires}):\n\n{link}"
        ),
        "done_other": "We did what you asked: {what}.",
        "done_no_data": "We looked for data about you and found none: we hold no data about you.",
        "done_rejected": "We could not carry out your request for {what}. The reason: {reason}",
        "page_title": "{company}: privacy center",
        "page_intro": (
            "Ask for a copy of your data, its correction or its erasure. We send you a code to confirm that "
            "the request is yours, and answer within one month."
        ),
        "needs_javascript": "The request form needs JavaScript. Turn JavaScript on in your browser and open this page again.",
        "download_title": "{company}: your data",
        "download_text": "Your data is ready: a zip file with a letter that explains it, and the data itself.",
        "download_button": "Download my data",
        "download_note": "The link works once. Keep the file in a safe place.",
        "download_gone_heading": "This link can no longer be used",
        "download_gone_text": (
            "The download link was used already, or it expired. Please file a new request on our privacy page."
        ),
        "download_invalid_heading": "Link not valid",
        "download_invalid_text": "This link is not valid. Please check that you copied all of it.",
    },
    "de": {
        "type_access": "eine Kopie Ihrer Daten",
        "type_portability": "Ihre Daten in einem übertragbaren Format",
        "type_erasure": "die Löschung Ihrer Daten",
        "type_rectification": "die Berichtigung Ihrer Daten",
        "type_restriction": "die Einschränkung der Verarbeitung Ihrer Daten",
        "type_objection": "Ihren Widerspruch gegen die Verarbeitung Ihrer Daten",
        "code_subject": "{company}: Ihr Bestätigungscode",
        "code_text": (
            "Sie haben bei {company} {what} beantragt.\n\nIhr Bestätigungscode: {code}\n\n"
            "Wenn Sie das nicht waren, ignorieren Sie diese Nachricht: Es geschieht nichts."
        ),
        "code_sms": "{company}: Ihr Bestätigungscode lautet {code}",
        "receipt_subject": "{company}: Wir haben Ihre Anfrage erhalten",
        "receipt_text": (
            "Vielen Dank. Wir haben Ihre Anfrage ({what}) am {received} erhalten und antworten bis zum {due}.\n\n"
            "Wir schreiben Ihnen wieder, sobald sie erledigt ist."
        ),
        "extended_subject": "{company}: Ihre Anfrage braucht mehr Zeit",
        "extended_text": (
            "Wir brauchen mehr Zeit für Ihre Anfrage ({what}). Wir antworten bis zum {due}.\n\nDer Grund: {reason}"
        ),
        "done_subject": "{company}: Ihre Anfrage ist erledigt",
        "done_erasure": (
            "Wir haben Ihre Daten wie gewünscht gelöscht. Wir behalten nur einen nicht umkehrbaren Fingerabdruck "
            "Ihrer Adresse, damit wir sie nicht erneut aufnehmen oder Sie kontaktieren. Dies ist unsere letzte "
            "Nachricht an Sie."
        ),
        "done_access": (
            "Ihre Daten sind bereit. Öffnen Sie diesen Link, um sie herunterzuladen (er funktioniert einmal und "
            "läuft am {expires} ab):\n\n{link}"
        ),
        "done_other": "Wir haben Ihre Anfrage ausgeführt: {what}.",
        "done_no_data": "Wir haben nach Daten über Sie gesucht und keine gefunden: Wir speichern keine Daten über Sie.",
        "done_rejected": "Wir konnten Ihre Anfrage ({what}) nicht ausführen. Der Grund: {reason}",
        "page_title": "{company}: Datenschutz-Center",
        "page_intro": (
            "Fordern Sie eine Kopie Ihrer Daten, ihre Berichtigung oder ihre Löschung an. Wir senden Ihnen einen "
            "Code, damit Sie bestätigen, dass die Anfrage von Ihnen kommt, und antworten innerhalb eines Monats."
        ),
        "needs_javascript": "Das Anfrageformular braucht JavaScript. Schalten Sie JavaScript in Ihrem Browser ein und öffnen Sie diese Seite erneut.",
        "download_title": "{company}: Ihre Daten",
        "download_text": "Ihre Daten sind bereit: eine ZIP-Datei mit einem erklärenden Brief und den Daten selbst.",
        "download_button": "Meine Daten herunterladen",
        "download_note": "Der Link funktioniert einmal. Bewahren Sie die Datei sicher auf.",
        "download_gone_heading": "Dieser Link kann nicht mehr verwendet werden",
        "download_gone_text": (
            "Der Download-Link wurde bereits verwendet oder ist abgelaufen. Bitte stellen Sie auf unserer "
            "Datenschutzseite eine neue Anfrage."
        ),
        "download_invalid_heading": "Link ungültig",
        "download_invalid_text": "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben.",
    },
    "fr": {
        "type_access": "une copie de vos données",
        "type_portability": "vos données dans un format portable",
        "type_erasure": "l’effacement de vos données",
        "type_rectification": "la rectification de vos données",
        "type_restriction": "la limitation de l’usage de vos données",
        "type_objection": "votre opposition à l’usage de vos données",
        "code_subject": "{company} : votre code de confirmation",
        "code_text": (
            "Vous avez demandé à {company} {what}.\n\nVotre code de confirmation : {code}\n\n"
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne se passera."
        ),
        "code_sms": "{company} : votre code de confirmation est {code}",
        "receipt_subject": "{company} : nous avons reçu votre demande",
        "receipt_text": (
            "Merci. Nous avons reçu votre demande ({what}) le {received} et répondrons d’ici le {due}.\n\n"
            "Nous vous écrirons à nouveau quand elle sera traitée."
        ),
        "extended_subject": "{company} : votre demande demande plus de temps",
        "extended_text": (
            "Il nous faut plus de temps pour votre demande ({what}). Nous répondrons d’ici le {due}.\n\n"
            "La raison : {reason}"
        ),
        "done_subject": "{company} : votre demande est traitée",
        "done_erasure": (
            "Nous avons effacé vos données comme demandé. Nous ne gardons qu’une empreinte irréversible de votre "
            "adresse, pour ne pas la réenregistrer ni vous contacter. C’est notre dernier message."
        ),
        "done_access": (
            "Vos données sont prêtes. Ouvrez ce lien pour les télécharger (il fonctionne une fois et expire le "
            "{expires}) :\n\n{link}"
        ),
        "done_other": "Nous avons fait ce que vous avez demandé : {what}.",
        "done_no_data": "Nous avons cherché des données vous concernant et n’en avons trouvé aucune.",
        "done_rejected": "Nous n’avons pas pu traiter votre demande ({what}). La raison : {reason}",
        "page_title": "{company} : centre de confidentialité",
        "page_intro": (
            "Demandez une copie de vos données, leur rectification ou leur effacement. Nous vous envoyons un code "
            "pour confirmer que la demande vient de vous, et répondons sous un mois."
        ),
        "needs_javascript": "Le formulaire de demande a besoin de JavaScript. Activez JavaScript dans votre navigateur et rouvrez cette page.",
        "download_title": "{company} : vos données",
        "download_text": "Vos données sont prêtes : un fichier zip avec une lettre qui les explique, et les données.",
        "download_button": "Télécharger mes données",
        "download_note": "Le lien fonctionne une fois. Conservez le fichier en lieu sûr.",
        "download_gone_heading": "Ce lien ne peut plus être utilisé",
        "download_gone_text": (
            "Le lien a déjà été utilisé ou a expiré. Faites une nouvelle demande sur notre page de confidentialité."
        ),
        "download_invalid_heading": "Lien non valide",
        "download_invalid_text": "Ce lien n’est pas valide. Vérifiez que vous l’avez copié en entier.",
    },
    "es": {
        "type_access": "una copia de sus datos",
        "type_portability": "sus datos en un formato portable",
        "type_erasure": "la supresión de sus datos",
        "type_rectification": "la rectificación de sus datos",
        "type_restriction": "la limitación del uso de sus datos",
        "type_objection": "su oposición al uso de sus datos",
        "code_subject": "{company}: su código de confirmación",
        "code_text": (
            "Ha pedido a {company} {what}.\n\nSu código de confirmación: {code}\n\n"
            "Si no lo ha pedido usted, ignore este mensaje: no pasará nada."
        ),
        "code_sms": "{company}: su código de confirmación es {code}",
        "receipt_subject": "{company}: hemos recibido su solicitud",
        "receipt_text": (
            "Gracias. Recibimos su solicitud ({what}) el {received} y responderemos antes del {due}.\n\n"
            "Le escribiremos de nuevo cuando esté resuelta."
        ),
        "extended_subject": "{company}: su solicitud necesita más tiempo",
        "extended_text": (
            "Necesitamos más tiempo para su solicitud ({what}). Responderemos antes del {due}.\n\nEl motivo: {reason}"
        ),
        "done_subject": "{company}: su solicitud está resuelta",
        "done_erasure": (
            "Hemos suprimido sus datos como pidió. Solo guardamos una huella irreversible de su dirección, para no "
            "volver a añadirla ni contactarle. Este es nuestro último mensaje."
        ),
        "done_access": (
            "Sus datos están listos. Abra este enlace para descargarlos (funciona una vez y caduca el {expires}):"
            "\n\n{link}"
        ),
        "done_other": "Hemos hecho lo que pidió: {what}.",
        "done_no_data": "Buscamos datos sobre usted y no encontramos ninguno: no tenemos datos suyos.",
        "done_rejected": "No pudimos atender su solicitud ({what}). El motivo: {reason}",
        "page_title": "{company}: centro de privacidad",
        "page_intro": (
            "Pida una copia de sus datos, su rectificación o su supresión. Le enviamos un código para confirmar "
            "que la solicitud es suya, y respondemos en un mes."
        ),
        "needs_javascript": "El formulario de solicitud necesita JavaScript. Active JavaScript en su navegador y vuelva a abrir esta página.",
        "download_title": "{company}: sus datos",
        "download_text": "Sus datos están listos: un archivo zip con una carta que los explica, y los datos.",
        "download_button": "Descargar mis datos",
        "download_note": "El enlace funciona una vez. Guarde el archivo en un lugar seguro.",
        "download_gone_heading": "Este enlace ya no se puede usar",
        "download_gone_text": (
            "El enlace ya se usó o caducó. Haga una nueva solicitud en nuestra página de privacidad."
        ),
        "download_invalid_heading": "Enlace no válido",
        "download_invalid_text": "Este enlace no es válido. Compruebe que lo copió entero.",
    },
}
assert set(TEXTS) == set(LOCALES)


def text(locale: str, key: str, **values: object) -> str:
    """The ``key`` text in ``locale`` (English when the locale is not supported), with ``values`` filled in."""
    return TEXTS.get(locale, TEXTS[DEFAULT_LOCALE])[key].format(**values)


def what(locale: str, type: str) -> str:
    """The request type in the person's words ("the erasure of your data")."""
    return text(locale, f"type_{type}")
