/**
 * THE mention parser (SPEC "Mentions and notifications"): what a message's text asks for. Who that is
 * (members only, `@all` only for a room's owner or admins in rooms of more than 10 members) is decided
 * by the database in the statement that stores the message (`messages.repo.ts`, `MENTIONS`), under
 * the room's lock.
 *
 * `@name` counts where it starts the text or follows a character that cannot be part of a username or
 * an email address (so `bob@example.com` mentions no one). Usernames may end in `.` or `-`, and a
 * sentence may end right after a mention (`thanks @bob.`): both readings are returned, and only a
 * username that exists in the room is mentioned. `@all` is always the room-wide mention, never a user.
 */
export interface ParsedMentions {
  /** Lowercased candidate usernames, without duplicates. */
  names: string[];
  /** `@all` was written. */
  all: boolean;
}

const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,30})/g;
/** More names than this in one message are ignored (a message of 4,000 characters could hold ~800). */
export const MAX_MENTIONS = 50;

export function parseMentions(content: string): ParsedMentions {
  const names = new Set<string>();
  let all = false;
  for (const match of content.matchAll(MENTION)) {
    const raw = match[1]!.toLowerCase();
    const trimmed = raw.replace(/[.-]+$/, '');
    if (trimmed === 'all') {
      all = true;
      continue;
    }
    for (const name of [raw, trimmed]) {
      if (name.length >= 3 && names.size < MAX_MENTIONS) names.add(name);
    }
  }
  return { names: [...names], all };
}
