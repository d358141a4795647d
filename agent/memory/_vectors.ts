/**
 * @module The chunk embeddings of one index, held in memory for a brute-force cosine search:
 * vectors are normalised, so the dot product is the cosine, and they sit in one contiguous
 * Float32Array (a slot each) so the scan runs over memory in order.
 */

/** Options of {@linkcode VectorSet.nearest}. */
export interface NearestOptions {
  /** Chunk ids that are never among the nearest. @default none */
  exclude?: ReadonlySet<number>;
}

export class VectorSet {
  #dimensions = 0;
  #data = new Float32Array(0);
  /** The chunk id in each slot; -1 for a slot freed by a delete. */
  #ids: number[] = [];
  #slots = new Map<number, number>();

  get size(): number {
    return this.#slots.size;
  }

  /** Stores a chunk's vector. A vector of another length than the first is ignored. */
  set(id: number, vector: Float32Array): void {
    if (!this.#dimensions) this.#dimensions = vector.length;
    if (vector.length !== this.#dimensions) return;
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = this.#ids.length;
      if ((slot + 1) * this.#dimensions > this.#data.length) {
        const grown = new Float32Array(Math.max(1024, (slot + 1) * 2) * this.#dimensions);
        grown.set(this.#data);
        this.#data = grown;
      }
      this.#ids.push(id);
      this.#slots.set(id, slot);
    }
    this.#data.set(vector, slot * this.#dimensions);
  }

  delete(ids: Iterable<number>): void {
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      this.#ids[slot] = -1;
      this.#slots.delete(id);
    }
    if (this.#ids.length > 1024 && this.#slots.size < this.#ids.length / 2) this.#compact();
  }

  /** The cosine of chunk `id` with `query`, or undefined when it has no vector. */
  similarity(id: number, query: Float32Array): number | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined || query.length !== this.#dimensions) return undefined;
    return this.#dot(slot * this.#dimensions, query);
  }

  /**
   * The `k` chunks nearest to `query`, nearest first. Excluded chunks are skipped during the scan,
   * so they never take a place among the `k`; asking for more to make up for them would grow the
   * sorted list, and its cost, with their number.
   */
  nearest(
    query: Float32Array,
    k: number,
    options: NearestOptions = {},
  ): { id: number; similarity: number }[] {
    const best: { id: number; similarity: number }[] = [];
    if (query.length !== this.#dimensions || k <= 0) return best;
    const { exclude } = options;
    let floor = -Infinity;
    for (let slot = 0; slot < this.#ids.length; slot++) {
      const id = this.#ids[slot];
      if (id < 0 || exclude?.has(id)) continue;
      const similarity = this.#dot(slot * this.#dimensions, query);
      if (best.length === k && similarity <= floor) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].similarity < similarity) at--;
      best.splice(at, 0, { id, similarity });
      if (best.length > k) best.pop();
      if (best.length === k) floor = best[k - 1].similarity;
    }
    return best;
  }

  #dot(offset: number, query: Float32Array): number {
    const data = this.#data;
    let sum = 0;
    for (let i = 0; i < query.length; i++) sum += data[offset + i] * query[i];
    return sum;
  }

  #compact(): void {
    const dimensions = this.#dimensions;
    const data = new Float32Array(Math.max(1024, this.#slots.size * 2) * dimensions);
    const ids: number[] = [];
    for (const [id, slot] of this.#slots) {
      data.set(
        this.#data.subarray(slot * dimensions, (slot + 1) * dimensions),
        ids.length * dimensions,
      );
      this.#slots.set(id, ids.length);
      ids.push(id);
    }
    this.#data = data;
    this.#ids = ids;
  }
}
