/** Real QR images: rendered as PNG for WeChat's image endpoints, decoded for the phone's "scan". */
import { AppError } from '@weunion/errors';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

// jsqr is CommonJS with `exports.default`; under Node's ESM interop the function is one level down.
const jsQR = jsQRModule.default;

/** A PNG of a QR code holding `content`, about `width` pixels wide. */
export async function renderQrPng(content: string, width = 430): Promise<Buffer> {
  return QRCode.toBuffer(content, { type: 'png', width, margin: 2, errorCorrectionLevel: 'M' });
}

export async function renderQrSvg(content: string): Promise<string> {
  return QRCode.toString(content, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
}

/** The text of the QR code in a PNG image. */
export function decodeQrPng(image: Buffer): string {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(image);
  } catch (error) {
    throw new AppError('bad_request', 'The image is not a PNG the sandbox can read', { cause: error });
  }
  const found = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height);
  if (found === null) throw new AppError('bad_request', 'No QR code found in the image');
  return found.data;
}
