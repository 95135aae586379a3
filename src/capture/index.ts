export * from './format.js';
export { CaptureWriter, type CaptureWriterOptions } from './writer.js';
export {
  readCaptures,
  readCaptureBatches,
  CaptureFileError,
  type CaptureSource,
  type ReadCapturesOptions,
} from './reader.js';
export { toHar, recordToHarEntry, harEntryToRecord } from './har.js';
