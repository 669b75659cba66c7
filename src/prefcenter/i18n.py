"""The customer-facing texts the server writes itself (the double opt-in email, the confirm pages and the
one-click unsubscribe pages), in the widget's languages. Pure: no HTTP, no database.

The language is the subject's own (``language`` in the profile) when set, else the first supported one of
the request's ``Accept-Language`` (the widget sends its own locale there), else English.
"""

from __future__ import annotations

LOCALES = ("en", "de", "fr", "es")
DEFAULT_LOCALE = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "email_subject": "{company}: please confirm your subscription to {topic}",
        "hello": "Hello,",
        "email_asked": "you asked {company} to send you “{topic}” by email.",
        "email_open_link": "Please confirm that this was you by opening this link:",
        "confirm_button": "Confirm my subscription",
        "email_ignore": (
            "If you did not ask for this, ignore this message: nothing will be sent, and the request "
            "expires in {days} days."
        ),
        "confirm_title": "{company}: please confirm",
        "confirm_text": "Confirm that you want to receive “{topic}” by email from {company}.",
        "confirm_note": "If you did not ask for this, close this page: nothing will be sent.",
        "thanks_heading": "Thank you",
        "thanks_text": "Your subscription is confirmed.",
        "expired_heading": "This link has expired",
        "expired_text": "The request was not confirmed in time. Subscribe again to get a new link.",
        "link_expired_text": "Please ask for a new one.",
        "invalid_heading": "Link not valid",
        "invalid_text": "This link is not valid. Please check that you copied all of it.",
        "nothing_heading": "Nothing to confirm",
        "nothing_text": "This request is no longer waiting for a confirmation.",
        "unsub_heading": "Unsubscribe",
        "unsub_question": "Stop receiving {topic} by {channel}?",
        "unsub_button": "Unsubscribe",
        "revoked_heading": "This link is no longer valid",
        "unsub_gone_text": "To unsubscribe, use the link in a more recent message from us.",
        "unsubscribed_heading": "Unsubscribed",
        "unsubscribed_text": "You will no longer receive {topic} by {channel}.",
        "already_unsubscribed_text": "You were already unsubscribed from {topic} by {channel}.",
        "erased_text": "We hold no data about you any more; you will not be contacted.",
        "manage_title": "{company}: your communication preferences",
        "manage_whose": "Preferences for {identity}",
        "manage_intro": "Choose what {company} may send you, and how. Changes are saved when you press Save.",
        "all_messages": "all messages",
        "unsub_from": "Messages from {company}",
        "page_missing_heading": "Page not found",
        "page_missing_text": "There is no page at this address. If you followed a link, check that you copied all of it.",
        "needs_javascript": "This page needs JavaScript to show your choices. Turn JavaScript on in your browser and open the page again.",
    },
    "de": {
        "email_subject": "{company}: Bitte bestätigen Sie Ihr Abonnement von {topic}",
        "hello": "Hallo,",
        "email_asked": "Sie haben {company} gebeten, Ihnen „{topic}“ per E-Mail zu senden.",
        "email_open_link": "Bitte bestätigen Sie, dass Sie das waren, indem Sie diesen Link öffnen:",
        "confirm_button": "Abonnement bestätigen",
        "email_ignore": (
            "Wenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht: Es wird nichts gesendet, "
            "und die Anfrage verfällt in {days} Tagen."
        ),
        "confirm_title": "{company}: Bitte bestätigen",
        "confirm_text": "Bestätigen Sie, dass Sie „{topic}“ per E-Mail von {company} erhalten möchten.",
        "confirm_note": "Wenn Sie das nicht angefordert haben, schließen Sie diese Seite: Es wird nichts gesendet.",
        "thanks_heading": "Vielen Dank",
        "thanks_text": "Ihr Abonnement ist bestätigt.",
        "expired_heading": "Dieser Link ist abgelaufen",
        "expired_text": (
            "Die Anfrage wurde nicht rechtzeitig bestätigt. Melden Sie sich erneut an, um einen neuen Link zu "
            "erhalten."
        ),
        "link_expired_text": "Bitte fordern Sie einen neuen an.",
        "invalid_heading": "Link ungültig",
        "invalid_text": "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben.",
        "nothing_heading": "Nichts zu bestätigen",
        "nothing_text": "Diese Anfrage wartet nicht mehr auf eine Bestätigung.",
        "unsub_heading": "Abmelden",
        "unsub_question": "{topic} nicht mehr per {channel} erhalten?",
        "unsub_button": "Abmelden",
        "revoked_heading": "Dieser Link ist nicht mehr gültig",
        "unsub_gone_text": "Um sich abzumelden, nutzen Sie bitte den Link in einer neueren Nachricht von uns.",
        "unsubscribed_heading": "Abgemeldet",
        "unsubscribed_text": "Sie erhalten {topic} nicht mehr per {channel}.",
        "already_unsubscribed_text": "Sie waren von {topic} per {channel} bereits abgemeldet.",
        "erased_text": "Wir speichern keine Daten mehr über Sie; Sie werden nicht kontaktiert.",
        "manage_title": "{company}: Ihre Kommunikationseinstellungen",
        "manage_whose": "Einstellungen für {identity}",
        "manage_intro": (
            "Wählen Sie, was {company} Ihnen senden darf und wie. Änderungen werden gespeichert, wenn Sie auf "
            "Speichern drücken."
        ),
        "all_messages": "alle Nachrichten",
        "unsub_from": "Nachrichten von {company}",
        "page_missing_heading": "Seite nicht gefunden",
        "page_missing_text": "Unter dieser Adresse gibt es keine Seite. Wenn Sie einem Link gefolgt sind, prüfen Sie, ob Sie ihn vollständig kopiert haben.",
        "needs_javascript": "Diese Seite braucht JavaScript, um Ihre Auswahl zu zeigen. Schalten Sie JavaScript in Ihrem Browser ein und öffnen Sie die Seite erneut.",
    },
    "fr": {
        "email_subject": "{company} : veuillez confirmer votre abonnement à {topic}",
        "hello": "Bonjour,",
        "email_asked": "vous avez demandé à {company} de vous envoyer « {topic} » par e-mail.",
        "email_open_link": "Veuillez confirmer qu’il s’agit bien de vous en ouvrant ce lien :",
        "confirm_button": "Confirmer mon abonnement",
        "email_ignore": (
            "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne sera envoyé, et la "
            "demande expire dans {days} jours."
        ),
        "confirm_title": "{company} : veuillez confirmer",
        "confirm_text": "Confirmez que vous souhaitez recevoir « {topic} » par e-mail de la part de {company}.",
        "confirm_note": "Si vous n’êtes pas à l’origine de cette demande, fermez cette page : rien ne sera envoyé.",
        "thanks_heading": "Merci",
        "thanks_text": "Votre abonnement est confirmé.",
        "expired_heading": "Ce lien a expiré",
        "expired_text": "La demande n’a pas été confirmée à temps. Abonnez-vous à nouveau pour recevoir un nouveau lien.",
        "link_expired_text": "Veuillez en demander un nouveau.",
        "invalid_heading": "Lien non valide",
        "invalid_text": "Ce lien n’est pas valide. Vérifiez que vous l’avez copié en entier.",
        "nothing_heading": "Rien à confirmer",
        "nothing_text": "Cette demande n’attend plus de confirmation.",
        "unsub_heading": "Se désabonner",
        "unsub_question": "Ne plus recevoir {topic} par {channel} ?",
        "unsub_button": "Se désabonner",
        "revoked_heading": "Ce lien n’est plus valide",
        "unsub_gone_text": "Pour vous désabonner, utilisez le lien d’un message plus récent de notre part.",
        "unsubscribed_heading": "Désabonnement effectué",
        "unsubscribed_text": "Vous ne recevrez plus {topic} par {channel}.",
        "already_unsubscribed_text": "Vous étiez déjà désabonné de {topic} par {channel}.",
        "erased_text": "Nous ne conservons plus aucune donnée vous concernant ; vous ne serez pas contacté.",
        "manage_title": "{company} : vos préférences de communication",
        "manage_whose": "Préférences de {identity}",
        "manage_intro": (
            "Choisissez ce que {company} peut vous envoyer, et comment. Les modifications sont enregistrées "
            "lorsque vous appuyez sur Enregistrer."
        ),
        "all_messages": "tous les messages",
        "unsub_from": "Messages de {company}",
        "page_missing_heading": "Page introuvable",
        "page_missing_text": "Il n’y a pas de page à cette adresse. Si vous avez suivi un lien, vérifiez que vous l’avez copié en entier.",
        "needs_javascript": "Cette page a besoin de JavaScript pour afficher vos choix. Activez JavaScript dans votre navigateur et rouvrez la page.",
    },
    "es": {
        "email_subject": "{company}: confirme su suscripción a {topic}",
        "hello": "Hola:",
        "email_asked": "ha pedido a {company} que le envíe «{topic}» por correo electrónico.",
        "email_open_link": "Confirme que ha sido usted abriendo este enlace:",
        "confirm_button": "Confirmar mi suscripción",
        "email_ignore": (
            "Si no lo ha pedido usted, ignore este mensaje: no se enviará nada y la solicitud caduca en "
            "{days} días."
        ),
        "confirm_title": "{company}: confirme, por favor",
        "confirm_text": "Confirme que desea recibir «{topic}» por correo electrónico de {company}.",
        "confirm_note": "Si no lo ha pedido usted, cierre esta página: no se enviará nada.",
        "thanks_heading": "Gracias",
        "thanks_text": "Su suscripción está confirmada.",
        "expired_heading": "Este enlace ha caducado",
        "expired_text": "La solicitud no se confirmó a tiempo. Suscríbase de nuevo para recibir un enlace nuevo.",
        "link_expired_text": "Solicite uno nuevo.",
        "invalid_heading": "Enlace no válido",
        "invalid_text": "Este enlace no es válido. Compruebe que lo ha copiado completo.",
        "nothing_heading": "Nada que confirmar",
        "nothing_text": "Esta solicitud ya no está pendiente de confirmación.",
        "unsub_heading": "Darse de baja",
        "unsub_question": "¿Dejar de recibir {topic} por {channel}?",
        "unsub_button": "Darse de baja",
        "revoked_heading": "Este enlace ya no es válido",
        "unsub_gone_text": "Para darse de baja, use el enlace de un mensaje nuestro más reciente.",
        "unsubscribed_heading": "Baja realizada",
        "unsubscribed_text": "Ya no recibirá {topic} por {channel}.",
        "already_unsubscribed_text": "Ya se había dado de baja de {topic} por {channel}.",
        "erased_text": "Ya no guardamos ningún dato suyo; no se le contactará.",
        "manage_title": "{company}: sus preferencias de comunicación",
        "manage_whose": "Preferencias de {identity}",
        "manage_intro": (
            "Elija qué puede enviarle {company} y cómo. Los cambios se guardan al pulsar Guardar."
        ),
        "all_messages": "todos los mensajes",
        "unsub_from": "Mensajes de {company}",
        "page_missing_heading": "Página no encontrada",
        "page_missing_text": "No hay ninguna página en esta dirección. Si ha seguido un enlace, compruebe que lo ha copiado completo.",
        "needs_javascript": "Esta página necesita JavaScript para mostrar sus opciones. Active JavaScript en su navegador y vuelva a abrir la página.",
    },
}


def _primary(tag: str) -> str:
    return tag.strip().split("-", 1)[0].split("_", 1)[0].lower()


def from_accept_language(header: str | None) -> str | None:
    """The supported locale the ``Accept-Language`` header prefers most (q-values honoured), or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = _primary(tag)
        if locale in LOCALES and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def pick_locale(preferred: str | None = None, accept_language: str | None = None) -> str:
    """The subject's own language when supported, else the request's, else English."""
    if preferred and _primary(preferred) in LOCALES:
        return _primary(preferred)
    return from_accept_language(accept_language) or DEFAULT_LOCALE


def text(locale: str, key: str, **values: object) -> str:
    """The ``key`` text in ``locale`` (English when the locale is not supported), with ``values`` filled in."""
    return TEXTS.get(locale, TEXTS[DEFAULT_LOCALE])[key].format(**values)


def catalog_text(default: str, translations: dict | None, locale: str, field: str = "name") -> str:
    """A catalog text (a topic's or channel's ``name``, ``description``) in ``locale`` from its stored
    ``translations`` (``{"de": {"name": ...}}``), else the default-locale text."""
    translated = (translations or {}).get(locale) or {}
    value = translated.get(field) if isinstance(translated, dict) else None
    return value if isinstance(value, str) and value else default
