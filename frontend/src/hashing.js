// Streaming SHA-256 of a File/Blob, read in ~8 MiB slices so a multi-gigabyte scan never sits in
// memory whole.
//
// Pure JavaScript (@noble/hashes) on purpose: a WebAssembly hasher (hash-wasm) is refused by the
// site's CSP, which would need 'wasm-unsafe-eval' in script-src; Web Crypto cannot stream.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const SLICE = 8 * 1024 * 1024;

export async function sha256Hex(blob, { onProgress = () => {}, signal } = {}) {
  const hasher = sha256.create();
  onProgress(0);
  for (let offset = 0; offset < blob.size; offset += SLICE) {
    if (signal && signal.aborted) throw new DOMException("Hashing cancelled", "AbortError");
    const buffer = await blob.slice(offset, offset + SLICE).arrayBuffer();
    hasher.update(new Uint8Array(buffer));
    onProgress(Math.min(1, (offset + buffer.byteLength) / blob.size));
  }
  return bytesToHex(hasher.digest());
}
