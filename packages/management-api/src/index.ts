export * from './applications.ts';
export * from './connection.ts';
export * from './patch.ts';
export * from './views.ts';
export * from './vocabulary.ts';
