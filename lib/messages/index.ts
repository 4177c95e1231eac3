export * from './review-message';
export * from './build';
export * from './raw-json';
export * from './serialise';
