// Prints the BLAS the native addon should link ("openblas" or "none"), for binding.gyp.
// R1TS_BLAS=none forces the addon's own GEMM (used to test the fallback path).
import { existsSync } from 'node:fs';

const forced = process.env.R1TS_BLAS;
const headers = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h'];
const libs = ['/usr/lib/x86_64-linux-gnu/libopenblas.so', '/usr/lib/aarch64-linux-gnu/libopenblas.so', '/usr/lib/libopenblas.so', '/usr/lib64/libopenblas.so'];
const found = headers.some(existsSync) && libs.some(existsSync);
process.stdout.write(forced === 'none' || !found ? 'none' : 'openblas');
