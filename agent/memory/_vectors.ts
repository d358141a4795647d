/**
 * @module The chunk embeddings of one index, held in memory for a brute-force cosine search
 * (vectors are normalised, so the dot product is the cosine).
 */

export class VectorSet {
  #vectors = new Map<number, Float32Array>();

  get size(): number {
    return this.#vectors.size;
  }

  set(id: number, vector: Float32Array): void {
    this.#vectors.set(id, vector);
  }

  delete(ids: Iterable<number>): void {
    for (const id of ids) this.#vectors.delete(id);
  }

  /** The cosine of chunk `id` with `query`, or undefined when it has no vector. */
  similarity(id: number, query: Float32Array): number | undefined {
    const vector = this.#vectors.get(id);
    return vector && vector.length === query.length ? dot(vector, query) : undefined;
  }

  /** The `k` chunks nearest to `query`, nearest first. */
  nearest(query: Float32Array, k: number): { id: number; similarity: number }[] {
    const best: { id: number; similarity: number }[] = [];
    for (const [id, vector] of this.#vectors) {
      if (vector.length !== query.length) continue;
      const similarity = dot(vector, query);
      if (best.length === k && similarity <= best[k - 1].similarity) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].similarity < similarity) at--;
      best.splice(at, 0, { id, similarity });
      if (best.length > k) best.pop();
    }
    return best;
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
