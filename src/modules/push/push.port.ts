/**
 * The push feature's surface for other features: the messages' send statement queues the push of each
 * new message in its own transaction (`pushJobsSql`, a CTE over its `ins` rows).
 */
export { pushJobsSql } from './push.repo.js';
