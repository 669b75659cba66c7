// Sending planned writes in order, keeping the If-Match revision current, and recovering once
// from a stale revision (412) by refetching the profile and re-planning the user's edits.

import { ApiError, type ApiClient } from "./api";
import type { Profile, Write } from "./types";

function isProfile(data: unknown): data is Profile {
  return !!data && typeof data === "object" && typeof (data as Profile).revision === "number" && "settings" in data;
}

/** Send writes one by one; returns the profile after the last write. */
export async function runWrites(client: ApiClient, profile: Profile, writes: Write[]): Promise<Profile> {
  let latest: Profile | null = profile;
  for (const write of writes) {
    if (!latest) latest = (await client.getProfile()).data;
    const res = await client.send(write, latest.revision);
    // A PATCH answers with the new profile; after a consent write the revision is unknown.
    latest = isProfile(res.data) ? res.data : null;
  }
  return latest ?? (await client.getProfile()).data;
}

export interface SendResult {
  profile: Profile;
  sent: boolean;
}

/**
 * Plan against the current profile and send. On 412 refetch the profile, plan again (the plan
 * function re-applies the user's pending edits to the fresh profile) and try once more.
 */
export async function sendPlanned(client: ApiClient, profile: Profile, plan: (p: Profile) => Write[]): Promise<SendResult> {
  let current = profile;
  for (let attempt = 0; ; attempt++) {
    const writes = plan(current);
    if (!writes.length) return { profile: current, sent: attempt > 0 };
    try {
      return { profile: await runWrites(client, current, writes), sent: true };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 412 || attempt >= 1) throw err;
      current = (await client.getProfile()).data;
    }
  }
}
