// The slice of pngjs the sandbox uses (the package ships no types; @types/pngjs is not installed).
declare module 'pngjs' {
  export interface DecodedPng {
    width: number;
    height: number;
    data: Buffer;
  }
  export const PNG: {
    sync: { read(buffer: Buffer): DecodedPng };
  };
}
