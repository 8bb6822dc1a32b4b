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
} from './user-data.ts';
