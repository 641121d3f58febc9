/**
 * A least-recently-used cache bounded by total weight (bytes, fragments: whatever the caller
 * counts), on a Map's insertion order.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Re-insert: the Map's order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** `weight`: when the value cannot say it itself (a promise of bytes of a known length). */
  set(key: K, value: V, weight: number = this.weigh(value)): void {
    this.delete(key);
    // Too heavy to keep at all: not cached, and nothing else evicted for it.
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.totalWeight += weight;
    for (const [oldKey, oldEntry] of this.entries) {
      if (this.totalWeight <= this.maxWeight) break;
      this.entries.delete(oldKey);
      this.totalWeight -= oldEntry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalWeight -= entry.weight;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value, or `compute()`'s, cached once it resolves (failures are not cached). */
  async getOrCompute(key: K, compute: () => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = await compute();
    this.set(key, value);
    return value;
  }
}
