export { type JsSdkSignatureInput, jsSdkSignature, jsSdkSignedUrl } from './js-sdk.ts';
export { type DecryptMessageInput, decryptMessage, type EncryptMessageInput, encryptMessage } from './message.ts';
export {
  type CallbackSignatureInput,
  callbackSignature,
  type MessageSignatureInput,
  messageSignature,
  timingSafeEqualString,
  verifyCallbackSignature,
  verifyMessageSignature,
} from './signature.ts';
export {
  checkSessionSignature,
  type DecryptUserDataInput,
  decryptUserData,
  type EncryptUserDataInput,
  encryptUserData,
  rawDataSignature,
  verifyRawDataSignature,
} from './user-data.ts';
