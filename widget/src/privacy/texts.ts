// The privacy-request element's texts, in the widget's languages (English when a locale is missing).

export const REQUEST_TYPES = ["access", "portability", "erasure", "rectification", "restriction", "objection"] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export interface PrivacyTexts {
  heading: string;
  typeLegend: string;
  types: Record<RequestType, string>;
  details: string;
  identity: string;
  identityHint: string;
  send: string;
  codeSent: string;
  code: string;
  confirm: string;
  done: string;
  wrongCode: string;
  tooMany: string;
  expired: string;
  badIdentity: string;
  failed: string;
}

const en: PrivacyTexts = {
  heading: "Your data protection request",
  typeLegend: "What would you like us to do?",
  types: {
    access: "Send me a copy of my data",
    portability: "Send me my data in a portable format",
    erasure: "Erase my data",
    rectification: "Correct my data",
    restriction: "Restrict the use of my data",
    objection: "Stop using my data (objection)",
  },
  details: "What is wrong, and what should it be?",
  identity: "Your email address or phone number",
  identityHint: "We send a code there to confirm that the request is yours.",
  send: "Send me a code",
  codeSent: "We sent a code to the address you gave. Enter it here.",
  code: "Confirmation code",
  confirm: "Confirm my request",
  done: "Thank you. Your request is confirmed; we will write to you when it is done, within one month.",
  wrongCode: "This code is not right. Please check it and try again.",
  tooMany: "Too many tries. Please wait a while and start again.",
  expired: "The code has expired. Please start again.",
  badIdentity: "Please give an email address or a phone number with its country code (+49…).",
  failed: "Something went wrong. Please try again.",
};

const de: PrivacyTexts = {
  heading: "Ihre Datenschutzanfrage",
  typeLegend: "Was sollen wir tun?",
  types: {
    access: "Mir eine Kopie meiner Daten senden",
    portability: "Mir meine Daten in einem übertragbaren Format senden",
    erasure: "Meine Daten löschen",
    rectification: "Meine Daten berichtigen",
    restriction: "Die Verarbeitung meiner Daten einschränken",
    objection: "Meine Daten nicht mehr verwenden (Widerspruch)",
  },
  details: "Was ist falsch, und wie sollte es lauten?",
  identity: "Ihre E-Mail-Adresse oder Telefonnummer",
  identityHint: "Wir senden dorthin einen Code, mit dem Sie bestätigen, dass die Anfrage von Ihnen kommt.",
  send: "Code senden",
  codeSent: "Wir haben einen Code an die angegebene Adresse gesendet. Geben Sie ihn hier ein.",
  code: "Bestätigungscode",
  confirm: "Anfrage bestätigen",
  done: "Vielen Dank. Ihre Anfrage ist bestätigt; wir schreiben Ihnen, sobald sie erledigt ist, spätestens in einem Monat.",
  wrongCode: "Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut.",
  tooMany: "Zu viele Versuche. Bitte warten Sie eine Weile und beginnen Sie neu.",
  expired: "Der Code ist abgelaufen. Bitte beginnen Sie neu.",
  badIdentity: "Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer mit Landesvorwahl (+49…) an.",
  failed: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
};

const fr: PrivacyTexts = {
  heading: "Votre demande relative à vos données",
  typeLegend: "Que souhaitez-vous que nous fassions ?",
  types: {
    access: "M’envoyer une copie de mes données",
    portability: "M’envoyer mes données dans un format portable",
    erasure: "Effacer mes données",
    rectification: "Rectifier mes données",
    restriction: "Limiter l’usage de mes données",
    objection: "Ne plus utiliser mes données (opposition)",
  },
  details: "Qu’est-ce qui est faux, et que faudrait-il ?",
  identity: "Votre adresse e-mail ou numéro de téléphone",
  identityHint: "Nous y envoyons un code pour confirmer que la demande vient de vous.",
  send: "M’envoyer un code",
  codeSent: "Nous avons envoyé un code à l’adresse indiquée. Saisissez-le ici.",
  code: "Code de confirmation",
  confirm: "Confirmer ma demande",
  done: "Merci. Votre demande est confirmée ; nous vous écrirons quand elle sera traitée, sous un mois.",
  wrongCode: "Ce code n’est pas le bon. Vérifiez-le et réessayez.",
  tooMany: "Trop d’essais. Patientez un moment puis recommencez.",
  expired: "Le code a expiré. Recommencez.",
  badIdentity: "Indiquez une adresse e-mail ou un numéro de téléphone avec son indicatif (+33…).",
  failed: "Une erreur s’est produite. Réessayez.",
};

const es: PrivacyTexts = {
  heading: "Su solicitud de protección de datos",
  typeLegend: "¿Qué quiere que hagamos?",
  types: {
    access: "Enviarme una copia de mis datos",
    portability: "Enviarme mis datos en un formato portable",
    erasure: "Suprimir mis datos",
    rectification: "Rectificar mis datos",
    restriction: "Limitar el uso de mis datos",
    objection: "Dejar de usar mis datos (oposición)",
  },
  details: "¿Qué está mal y qué debería poner?",
  identity: "Su correo electrónico o teléfono",
  identityHint: "Le enviamos un código para confirmar que la solicitud es suya.",
  send: "Enviarme un código",
  codeSent: "Hemos enviado un código a la dirección indicada. Escríbalo aquí.",
  code: "Código de confirmación",
  confirm: "Confirmar mi solicitud",
  done: "Gracias. Su solicitud está confirmada; le escribiremos cuando esté resuelta, en un mes como máximo.",
  wrongCode: "Este código no es correcto. Compruébelo e inténtelo de nuevo.",
  tooMany: "Demasiados intentos. Espere un rato y empiece de nuevo.",
  expired: "El código ha caducado. Empiece de nuevo.",
  badIdentity: "Indique un correo electrónico o un teléfono con su prefijo (+34…).",
  failed: "Algo ha fallado. Inténtelo de nuevo.",
};

const ALL: Record<string, PrivacyTexts> = { en, de, fr, es };

export function privacyTexts(locale: string | null | undefined): PrivacyTexts {
  const primary = (locale || "en").toLowerCase().split("-")[0];
  return ALL[primary] || en;
}
