// Pure: what the person typed, as the API's identity reference ("email:…" or "phone:+…"), or null.

export function identityRef(typed: string): string | null {
  const value = typed.trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return `email:${value}`;
  const phone = value.replace(/[\s().\-/]/g, "");
  if (/^\+[1-9]\d{6,14}$/.test(phone)) return `phone:${phone}`;
  return null;
}

/** The message key for a problem answer's status (the API's problem+json statuses). */
export function problemKey(status: number): "wrongCode" | "tooMany" | "expired" | "badIdentity" | "failed" {
  if (status === 400 || status === 422) return "wrongCode";
  if (status === 409 || status === 429) return "tooMany";
  if (status === 410) return "expired";
  return "failed";
}
