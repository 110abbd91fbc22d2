export * from './users.js';
export * from './auth.js';
export * from './rooms.js';
export * from './messages.js';
export * from './files.js';
export * from './jobs.js';
export * from './push.js';
export * from './audit.js';
