import type { NotifyLevel, RoomType } from '../../db/schema/index.js';

/**
 * THE notification level of a member (SPEC "Preferences"): what they chose, or the default of the room's
 * type: `all` in direct rooms, `mentions` elsewhere.
 */
export function notifyLevelOf(type: RoomType, chosen: NotifyLevel | null | undefined): NotifyLevel {
  return chosen ?? (type === 'direct' ? 'all' : 'mentions');
}
