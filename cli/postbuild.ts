// After tsc: make the command executable (npm links bin scripts, but a plain checkout runs dist/ directly).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), 'poolform.js');
fs.chmodSync(bin, 0o755);
