export { type Config, configDocs, loadConfig, redactConfig, redactUrl } from './load.ts';
export { options as configOptions } from './options.ts';
