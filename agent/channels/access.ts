/**
 * @module Who may talk to an agent through a channel: `dmPolicy` (`open`, `allowlist`,
 * `pairing`, `disabled`) and `allowFrom` (sender ids, `@usernames`, or `*`).
 */

/** The channel's access settings. */
export interface AccessSettings {
  dmPolicy: "open" | "allowlist" | "pairing" | "disabled";
  allowFrom: (string | number)[];
}

/** `allow`: pass to the agent; `deny`: drop silently; `pair`: tell the sender how to get in. */
export type AccessDecision = "allow" | "deny" | "pair";

/** True when `allowFrom` names the sender by id, by `@username` or `username`, or is `*`. */
export function isAllowed(
  allowFrom: (string | number)[],
  sender: { id: string; username?: string },
): boolean {
  const username = sender.username?.toLowerCase();
  return allowFrom.some((entry) => {
    const value = String(entry).trim();
    if (value === "*" || value === sender.id) return true;
    return username !== undefined && value.replace(/^@/, "").toLowerCase() === username;
  });
}

/** Decides what happens to a message from `sender`. */
export function decideAccess(
  settings: AccessSettings,
  sender: { id: string; username?: string },
): AccessDecision {
  switch (settings.dmPolicy) {
    case "open":
      return "allow";
    case "disabled":
      return "deny";
    case "allowlist":
      return isAllowed(settings.allowFrom, sender) ? "allow" : "deny";
    case "pairing":
      return isAllowed(settings.allowFrom, sender) ? "allow" : "pair";
  }
}

/** The reply a sender gets under `pairing` until the owner adds them. */
export function pairingReply(channel: string, senderId: string): string {
  return `This assistant only talks to people its owner has allowed. Ask the owner to add ` +
    `your id ${senderId} to channels.${channel}.allowFrom.`;
}
