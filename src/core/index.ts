export * from './clock.js';
export * from './duration.js';
export * from './errors.js';
export * from './events.js';
export * from './forecast.js';
export * from './seams.js';
export * from './series.js';
