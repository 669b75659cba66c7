// UI strings in en, de, fr, es. Catalog texts (topic names, notices) come from the API as-is.

const en = {
  title: "Your communication preferences",
  compactTitle: "Stay in touch",
  loading: "Loading your preferences…",
  loadError: "We couldn't load your preferences.",
  notConfigured: "This preference form is not set up correctly (missing {what}).",
  authError: "This link has expired. Please reload the page or ask for a new link.",
  retry: "Try again",
  save: "Save",
  signUp: "Sign me up",
  saving: "Saving…",
  saved: "Saved",
  nothingToSave: "There are no changes to save.",
  saveError: "Your changes could not be saved. They are kept here, so you can try again.",
  restored: "Your unsaved changes from before were restored. Select Save to keep them.",
  matrixLegend: "Topics and channels",
  topic: "Topic",
  readNotice: "Read the notice",
  cellLabel: "{topic} by {channel}",
  notOffered: "Not offered",
  dnc: "Contact me about nothing",
  dncHint: "While this is on, we won't contact you about any of the topics below.",
  settings: "Settings",
  preferredChannel: "Preferred channel",
  language: "Language",
  frequency: "How often",
  noPreference: "No preference",
  immediate: "As it happens",
  daily: "Daily",
  weekly: "Weekly",
  monthly: "Monthly",
  pending: "Waiting for your confirmation — check your inbox.",
  agentBanner: "Recording on behalf of the customer (agent {id})",
  recentContacts: "Recent contacts",
  today: "today",
  yesterday: "yesterday",
  daysAgo: "{n} days ago",
  contactAbout: "about {topic}",
  resolved: "resolved",
  followUp: "follow-up needed",
  transferred: "transferred",
  transferredTo: "transferred to {channel}",
  gpc: "Your browser's Global Privacy Control signal was honoured for: {topics}",
};

export type MessageKey = keyof typeof en;
type Messages = Record<MessageKey, string>;

const de: Messages = {
  title: "Ihre Kommunikationseinstellungen",
  compactTitle: "Bleiben Sie in Kontakt",
  loading: "Ihre Einstellungen werden geladen …",
  loadError: "Ihre Einstellungen konnten nicht geladen werden.",
  notConfigured: "Dieses Formular ist nicht richtig eingerichtet ({what} fehlt).",
  authError: "Dieser Link ist abgelaufen. Bitte laden Sie die Seite neu oder fordern Sie einen neuen Link an.",
  retry: "Erneut versuchen",
  save: "Speichern",
  signUp: "Jetzt anmelden",
  saving: "Wird gespeichert …",
  saved: "Gespeichert",
  nothingToSave: "Es gibt keine Änderungen zu speichern.",
  saveError: "Ihre Änderungen konnten nicht gespeichert werden. Sie bleiben erhalten, damit Sie es erneut versuchen können.",
  restored: "Ihre noch nicht gespeicherten Änderungen wurden wiederhergestellt. Wählen Sie Speichern, um sie zu übernehmen.",
  matrixLegend: "Themen und Kanäle",
  topic: "Thema",
  readNotice: "Hinweis lesen",
  cellLabel: "{topic} per {channel}",
  notOffered: "Nicht angeboten",
  dnc: "Kontaktieren Sie mich zu nichts",
  dncHint: "Solange dies aktiv ist, kontaktieren wir Sie zu keinem der folgenden Themen.",
  settings: "Einstellungen",
  preferredChannel: "Bevorzugter Kanal",
  language: "Sprache",
  frequency: "Wie oft",
  noPreference: "Keine Vorliebe",
  immediate: "Sofort",
  daily: "Täglich",
  weekly: "Wöchentlich",
  monthly: "Monatlich",
  pending: "Wartet auf Ihre Bestätigung – bitte prüfen Sie Ihren Posteingang.",
  agentBanner: "Erfassung im Auftrag der Kundin bzw. des Kunden (Mitarbeiter {id})",
  recentContacts: "Letzte Kontakte",
  today: "heute",
  yesterday: "gestern",
  daysAgo: "vor {n} Tagen",
  contactAbout: "zu {topic}",
  resolved: "gelöst",
  followUp: "Nachfassen nötig",
  transferred: "weitergeleitet",
  transferredTo: "weitergeleitet an {channel}",
  gpc: "Das Global-Privacy-Control-Signal Ihres Browsers wurde berücksichtigt für: {topics}",
};

const fr: Messages = {
  title: "Vos préférences de communication",
  compactTitle: "Restons en contact",
  loading: "Chargement de vos préférences…",
  loadError: "Impossible de charger vos préférences.",
  notConfigured: "Ce formulaire n'est pas correctement configuré ({what} manquant).",
  authError: "Ce lien a expiré. Rechargez la page ou demandez un nouveau lien.",
  retry: "Réessayer",
  save: "Enregistrer",
  signUp: "Je m'inscris",
  saving: "Enregistrement…",
  saved: "Enregistré",
  nothingToSave: "Aucune modification à enregistrer.",
  saveError: "Vos modifications n'ont pas pu être enregistrées. Elles sont conservées ici pour que vous puissiez réessayer.",
  restored: "Vos modifications non enregistrées ont été restaurées. Choisissez Enregistrer pour les conserver.",
  matrixLegend: "Sujets et canaux",
  topic: "Sujet",
  readNotice: "Lire l'information",
  cellLabel: "{topic} par {channel}",
  notOffered: "Non proposé",
  dnc: "Ne me contactez pour rien",
  dncHint: "Tant que cette option est active, nous ne vous contacterons pour aucun des sujets ci-dessous.",
  settings: "Réglages",
  preferredChannel: "Canal préféré",
  language: "Langue",
  frequency: "Fréquence",
  noPreference: "Aucune préférence",
  immediate: "Au fil de l'eau",
  daily: "Quotidienne",
  weekly: "Hebdomadaire",
  monthly: "Mensuelle",
  pending: "En attente de votre confirmation — consultez votre boîte de réception.",
  agentBanner: "Enregistrement pour le compte du client (agent {id})",
  recentContacts: "Contacts récents",
  today: "aujourd’hui",
  yesterday: "hier",
  daysAgo: "il y a {n} jours",
  contactAbout: "au sujet de {topic}",
  resolved: "résolu",
  followUp: "suivi nécessaire",
  transferred: "transféré",
  transferredTo: "transféré vers {channel}",
  gpc: "Le signal Global Privacy Control de votre navigateur a été respecté pour : {topics}",
};

const es: Messages = {
  title: "Sus preferencias de comunicación",
  compactTitle: "Sigamos en contacto",
  loading: "Cargando sus preferencias…",
  loadError: "No pudimos cargar sus preferencias.",
  notConfigured: "Este formulario no está bien configurado (falta {what}).",
  authError: "Este enlace ha caducado. Vuelva a cargar la página o solicite un enlace nuevo.",
  retry: "Reintentar",
  save: "Guardar",
  signUp: "Suscribirme",
  saving: "Guardando…",
  saved: "Guardado",
  nothingToSave: "No hay cambios que guardar.",
  saveError: "No se pudieron guardar sus cambios. Se conservan aquí para que pueda volver a intentarlo.",
  restored: "Se han restaurado sus cambios sin guardar. Seleccione Guardar para conservarlos.",
  matrixLegend: "Temas y canales",
  topic: "Tema",
  readNotice: "Leer el aviso",
  cellLabel: "{topic} por {channel}",
  notOffered: "No disponible",
  dnc: "No contactarme para nada",
  dncHint: "Mientras esté activado, no le contactaremos sobre ninguno de los temas siguientes.",
  settings: "Ajustes",
  preferredChannel: "Canal preferido",
  language: "Idioma",
  frequency: "Frecuencia",
  noPreference: "Sin preferencia",
  immediate: "Al momento",
  daily: "Diaria",
  weekly: "Semanal",
  monthly: "Mensual",
  pending: "Pendiente de su confirmación: revise su bandeja de entrada.",
  agentBanner: "Registro en nombre del cliente (agente {id})",
  recentContacts: "Contactos recientes",
  today: "hoy",
  yesterday: "ayer",
  daysAgo: "hace {n} días",
  contactAbout: "sobre {topic}",
  resolved: "resuelto",
  followUp: "requiere seguimiento",
  transferred: "transferido",
  transferredTo: "transferido a {channel}",
  gpc: "Se ha respetado la señal Global Privacy Control de su navegador para: {topics}",
};

export const MESSAGES: Record<string, Messages> = { en, de, fr, es };
export const LOCALES = Object.keys(MESSAGES);
/** Language names shown in the language select, each in its own language. */
export const LANGUAGE_NAMES: Record<string, string> = { en: "English", de: "Deutsch", fr: "Français", es: "Español" };

/** First supported locale among the candidates ("de-AT" -> "de"), else "en". */
export function pickLocale(...candidates: (string | null | undefined)[]): string {
  for (const c of candidates) {
    if (!c) continue;
    const base = c.toLowerCase().split(/[-_]/)[0];
    if (MESSAGES[base]) return base;
  }
  return "en";
}

export type Translate = (key: MessageKey, params?: Record<string, string>) => string;

/** A translator for one locale; missing keys fall back to English. */
export function translator(locale: string): Translate {
  const table = MESSAGES[pickLocale(locale)];
  return (key, params) => {
    const text = table[key] ?? en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => params[name] ?? m) : text;
  };
}
