// Kubernetes resource quantities, as far as shadowcast needs them: a pool's CPU and memory
// requests scaled by a share (the shadow's lighter replica), and storage sizes compared (a standby's
// copy of a node's data must be as large as the node's claim). CPU comes back in whole millicores
// (the API's precision), memory in whole MiB; both round up, so a scaled request never asks for
// less than the share. Pure: no Pulumi calls.

const CPU = /^(\d+(?:\.\d+)?|\.\d+)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const MI = 2 ** 20;
/** Float noise allowed before rounding up (0.1 × 3 is 0.30000000000000004). */
const FUZZ = 1e-9;

/** A CPU quantity (`500m`, `2`, `1.5`) in millicores; undefined if it is not one. */
export function parseCpu(quantity: string): number | undefined {
  const m = CPU.exec(quantity.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  return m[2] === 'm' ? value : value * 1000;
}

/** A memory quantity (`512Mi`, `1Gi`, `1G`, `1048576`) in bytes; undefined if it is not one. */
export function parseMemory(quantity: string): number | undefined {
  const m = MEMORY.exec(quantity.trim());
  if (!m) return undefined;
  const unit = m[2];
  const factor = unit === undefined ? 1 : (BINARY[unit] ?? DECIMAL[unit]!);
  return Number(m[1]) * factor;
}

/** Millicores as Kubernetes writes them: whole cores as `2`, the rest as `250m`. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Bytes as whole MiB (rounded up), or GiB when exact: `256Mi`, `1Gi`. */
export function formatMemory(bytes: number): string {
  const mi = Math.max(1, Math.ceil(bytes / MI - FUZZ));
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

/** `share` of a CPU request, rounded up to a whole millicore (at least 1m): 500m × 0.5 = 250m. */
export function scaleCpu(quantity: string, share: number): string {
  const milli = parseCpu(quantity);
  if (milli === undefined)
    throw new Error(`${JSON.stringify(quantity)} is not a CPU quantity like 500m or 2`);
  return formatCpu(Math.max(1, Math.ceil(milli * share - FUZZ)));
}

/** `share` of a memory request, rounded up to a whole MiB: 512Mi × 0.5 = 256Mi. */
export function scaleMemory(quantity: string, share: number): string {
  const bytes = parseMemory(quantity);
  if (bytes === undefined) {
    throw new Error(`${JSON.stringify(quantity)} is not a memory quantity like 512Mi, 1Gi or 1G`);
  }
  return formatMemory(bytes * share);
}
