import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * The feature matrix of a linear model, seen only through the products a Newton-type solver needs. Dense rows
 * (a few hand-made features) and sparse rows (hashed text, thousands of columns, a few hundred non-zeros per
 * row) implement it, so one solver serves every fit in botlens.
 *
 * @internal
 */
export interface DesignMatrix {
  /** Number of rows (examples). */
  readonly rows: number;
  /** Number of columns (features). */
  readonly cols: number;
  /** `out[r] = row r . w` for every row. */
  times(w: Float64Array, out: Float64Array): void;
  /** `out[j] = sum_r u[r] * row r [j]` (X transposed times u); `out` is overwritten. */
  timesTransposed(u: Float64Array, out: Float64Array): void;
  /** `out[j] = sum_r d[r] * (row r [j])^2`: the diagonal of `X^T diag(d) X`, for preconditioning. */
  weightedSquares(d: Float64Array, out: Float64Array): void;
  /**
   * {@link DesignMatrix.timesTransposed} of `u` into `outU` and {@link DesignMatrix.weightedSquares} of `d` into
   * `outD` in one pass over the non-zeros (each result the same as from its own call). Optional: a design whose
   * products stream the non-zeros offers it to halve that traffic for the solver's gradient and preconditioner.
   */
  timesTransposedAndSquares?(u: Float64Array, outU: Float64Array, d: Float64Array, outD: Float64Array): void;
  /**
   * Adds `sum_r d[r] * x_r x_r^T` (with x_r extended by a trailing 1 for the intercept) into the row-major
   * `(cols + 1)^2` matrix `H`. Only dense designs offer it: the solver then takes exact Newton steps.
   */
  addWeightedGram?(d: Float64Array, H: Float64Array): void;
}

/**
 * Dense rows, stored row-major in one `Float64Array`.
 *
 * @internal
 */
export class DenseDesign implements DesignMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values, `rows * cols` long. */
  readonly data: Float64Array;

  /**
   * @param data - row-major values
   * @param rows - number of rows
   * @param cols - number of columns
   */
  constructor(data: Float64Array, rows: number, cols: number) {
    if (data.length !== rows * cols)
      throw new InvalidOptionsError('data', `has ${data.length} values for ${rows} x ${cols}`);
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  times(w: Float64Array, out: Float64Array): void {
    const { data, rows, cols } = this;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[off + j]! * w[j]!;
      out[r] = s;
    }
  }

  timesTransposed(u: Float64Array, out: Float64Array): void {
    const { data, rows, cols } = this;
    out.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      const ur = u[r]!;
      if (ur === 0) continue;
      const off = r * cols;
      for (let j = 0; j < cols; j++) out[j]! += ur * data[off + j]!;
    }
  }

  weightedSquares(d: Float64Array, out: Float64Array): void {
    const { data, rows, cols } = this;
    out.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      for (let j = 0; j < cols; j++) out[j]! += d[r]! * data[off + j]! * data[off + j]!;
    }
  }

  addWeightedGram(d: Float64Array, H: Float64Array): void {
    const { data, rows, cols } = this;
    const p = cols + 1;
    // Four rows a pass: each entry of H is read and written once per four rows instead of once per row, and
    // takes the four rows' terms one after another in row order, as row-by-row passes add them, so the sums
    // are bit-identical (a zero term adds nothing: H starts at +0 and never becomes -0). About twice as fast
    // for the stacking combiner (5,926 rows x 53 features on ConvAI).
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const o0 = r * cols;
      for (let j = 0; j < cols; j++) {
        // Row r + i's weighted entry j, and its entries k from the row's start o0 + i * cols.
        const x0 = d[r]! * data[o0 + j]!;
        const x1 = d[r + 1]! * data[o0 + cols + j]!;
        const x2 = d[r + 2]! * data[o0 + 2 * cols + j]!;
        const x3 = d[r + 3]! * data[o0 + 3 * cols + j]!;
        const hj = j * p;
        for (let k = j, at = o0 + j; k < cols; k++, at++) {
          H[hj + k] =
            H[hj + k]! +
            x0 * data[at]! +
            x1 * data[at + cols]! +
            x2 * data[at + 2 * cols]! +
            x3 * data[at + 3 * cols]!;
        }
        H[hj + cols] = H[hj + cols]! + x0 + x1 + x2 + x3;
      }
      H[cols * p + cols] = H[cols * p + cols]! + d[r]! + d[r + 1]! + d[r + 2]! + d[r + 3]!;
    }
    for (; r < rows; r++) {
      const dr = d[r]!;
      const off = r * cols;
      for (let j = 0; j < cols; j++) {
        const xj = dr * data[off + j]!;
        const hj = j * p;
        for (let k = j; k < cols; k++) H[hj + k]! += xj * data[off + k]!;
        H[hj + cols]! += xj;
      }
      H[cols * p + cols]! += dr;
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) H[j * p + k] = H[k * p + j]!;
  }
}

/** Sparse rows in compressed-row form (CSR), as built by {@link csrFromRows}. */
export interface CsrRows {
  /** Row r's entries are `indices/values[indptr[r] .. indptr[r + 1])`, positions ascending. */
  indptr: Int32Array;
  /** Column of each stored entry. */
  indices: Int32Array;
  /** Value of each stored entry. */
  values: Float32Array | Float64Array;
  /** Number of columns. */
  cols: number;
}

/**
 * Packs sparse vectors (positions ascending) into one {@link CsrRows}.
 *
 * @param rows - per row, its positions and values
 * @param cols - number of columns
 *
 * @internal
 */
export function csrFromRows(
  rows: readonly { indices: ArrayLike<number>; values: ArrayLike<number> }[],
  cols: number,
): CsrRows {
  const indptr = new Int32Array(rows.length + 1);
  for (let r = 0; r < rows.length; r++) indptr[r + 1] = indptr[r]! + rows[r]!.indices.length;
  const nnz = indptr[rows.length]!;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let r = 0; r < rows.length; r++) {
    const at = indptr[r]!;
    const row = rows[r]!;
    for (let k = 0; k < row.indices.length; k++) {
      indices[at + k] = row.indices[k]!;
      values[at + k] = row.values[k]!;
    }
  }
  return { indptr, indices, values, cols };
}

/** Options for {@link SparseDesign}. */
export interface SparseDesignOptions {
  /** Which rows of the CSR matrix form the design, in order (a fold's training rows). @defaultValue all */
  rowIds?: Int32Array;
  /**
   * Subtracted from every row before scaling (centering), without densifying: products use
   * `(x - c) . w = x . w - c . w`.
   * @defaultValue no centering
   */
  center?: Float64Array | Float32Array;
  /** Multiplies each (centered) row, indexed by CSR row. @defaultValue 1 */
  rowScale?: Float64Array;
  /** Multiplies each (centered) column, e.g. 1 / its standard deviation. @defaultValue 1 */
  colScale?: Float64Array;
}

/**
 * Sparse rows (CSR), optionally centered and scaled per row, costing their non-zeros (plus one pass over the
 * columns for the centering) per product.
 *
 * @internal
 */
export class SparseDesign implements DesignMatrix {
  readonly rows: number;
  readonly cols: number;
  private readonly csr: CsrRows;
  private readonly rowIds: Int32Array;
  private readonly center: Float64Array | Float32Array | undefined;
  private readonly rowScale: Float64Array | undefined;
  private readonly colScale: Float64Array | undefined;
  private readonly scratch: Float64Array | undefined;
  private byColumn: Columns | undefined;
  /** For a {@link SparseDesign.subset}: the design whose column index it reads, and per row, its row there. */
  private readonly parent: { design: SparseDesign; rows: Int32Array } | undefined;
  /** Rows of the column index's entries: the parent's for a subset, else this design's. */
  private readonly indexRows: number;
  private factor: Float64Array | undefined;
  private factor2: Float64Array | undefined;
  /** weightedSquares' u = 0 and the product it discards. */
  private zeros: Float64Array | undefined;
  private discard: Float64Array | undefined;

  /**
   * @param csr - the rows
   * @param options - row subset, centering, row and column scaling
   */
  constructor(
    csr: CsrRows,
    options: SparseDesignOptions = {},
    parent?: { design: SparseDesign; rows: Int32Array },
  ) {
    this.parent = parent;
    this.indexRows = parent ? parent.design.rows : (options.rowIds?.length ?? csr.indptr.length - 1);
    this.csr = csr;
    this.cols = csr.cols;
    const all = csr.indptr.length - 1;
    this.rowIds = options.rowIds ?? Int32Array.from({ length: all }, (_, i) => i);
    this.rows = this.rowIds.length;
    this.center = options.center;
    this.rowScale = options.rowScale;
    this.colScale = options.colScale;
    this.scratch = options.colScale ? new Float64Array(this.cols) : undefined;
  }

  times(wIn: Float64Array, out: Float64Array): void {
    const { indptr, indices, values } = this.csr;
    const { rowIds, center, rowScale, colScale } = this;
    let w = wIn;
    if (colScale) {
      w = this.scratch!;
      for (let j = 0; j < this.cols; j++) w[j] = wIn[j]! * colScale[j]!;
    }
    let cw = 0;
    if (center) for (let j = 0; j < this.cols; j++) cw += center[j]! * w[j]!;
    for (let r = 0; r < rowIds.length; r++) {
      const i = rowIds[r]!;
      let s = 0;
      for (let k = indptr[i]!, end = indptr[i + 1]!; k < end; k++) s += values[k]! * w[indices[k]!]!;
      out[r] = rowScale ? (s - cw) * rowScale[i]! : s - cw;
    }
  }

  timesTransposed(u: Float64Array, out: Float64Array): void {
    const { rowIds, center, rowScale } = this;
    const { start, row, values } = this.columns();
    // f_r = u_r * s_r per row (0 where u_r is), then each column gathers its rows in row order: the same
    // products summed in the same order as scattering row by row, so the result is bit-identical to it.
    const f = this.rowFactor();
    const at = this.parent?.rows;
    let total = 0;
    for (let r = 0; r < rowIds.length; r++) {
      const x = rowScale ? u[r]! * rowScale[rowIds[r]!]! : u[r]!;
      f[at ? at[r]! : r] = x;
      if (x !== 0) total += x;
    }
    for (let j = 0; j < this.cols; j++) {
      let s = 0;
      for (let k = start[j]!, end = start[j + 1]!; k < end; k++) s += f[row[k]!]! * values[k]!;
      out[j] = s;
    }
    if (center && total !== 0) for (let j = 0; j < this.cols; j++) out[j]! -= total * center[j]!;
    const { colScale } = this;
    if (colScale) for (let j = 0; j < this.cols; j++) out[j]! *= colScale[j]!;
  }

  weightedSquares(d: Float64Array, out: Float64Array): void {
    // The solver takes both products in one pass (timesTransposedAndSquares); this one alone reuses that pass
    // with u = 0, so the rule is written once (the extra product costs one multiply-add per entry).
    this.zeros ??= new Float64Array(this.rows);
    this.discard ??= new Float64Array(this.cols);
    this.timesTransposedAndSquares(this.zeros, this.discard, d, out);
  }

  timesTransposedAndSquares(u: Float64Array, outU: Float64Array, d: Float64Array, outD: Float64Array): void {
    const { rowIds, center, rowScale, colScale, cols } = this;
    const { start, row, values } = this.columns();
    // The row factors of both products (see timesTransposed and weightedSquares), then one gather per column
    // that sums each product's terms in the order its own method does: bit-identical results.
    const fu = this.rowFactor();
    this.factor2 ??= new Float64Array(this.indexRows);
    const fd = this.factor2;
    const at = this.parent?.rows;
    let totalU = 0;
    let totalD = 0;
    for (let r = 0; r < rowIds.length; r++) {
      const s = rowScale ? rowScale[rowIds[r]!]! : 1;
      const x = rowScale ? u[r]! * s : u[r]!;
      const q = at ? at[r]! : r;
      fu[q] = x;
      if (x !== 0) totalU += x;
      const y = rowScale ? d[r]! * s * s : d[r]!;
      fd[q] = y;
      totalD += y;
    }
    for (let j = 0; j < cols; j++) {
      let s = 0;
      let sq = 0;
      let cross = 0;
      for (let k = start[j]!, end = start[j + 1]!; k < end; k++) {
        const i = row[k]!;
        const v = values[k]!;
        s += fu[i]! * v;
        const fx = fd[i]! * v;
        sq += fx * v;
        cross += fx;
      }
      outU[j] = s;
      outD[j] = center ? sq + center[j]! * (center[j]! * totalD - 2 * cross) : sq;
    }
    if (center && totalU !== 0) for (let j = 0; j < cols; j++) outU[j]! -= totalU * center[j]!;
    if (colScale) {
      for (let j = 0; j < cols; j++) {
        outU[j]! *= colScale[j]!;
        outD[j]! *= colScale[j]! * colScale[j]!;
      }
    }
  }

  /**
   * The design of some of this design's rows (e.g. a fold's training rows of the design of all rows), with its
   * own centering and scaling. Its products are those of a design built on those rows (`rowIds`), bit for bit,
   * but it builds no column index: its transposed products read this design's, the rows it leaves out with a
   * factor of 0. A zero term changes no sum there (each column's sum starts at +0, and a sum of finite terms is
   * never -0), and building an index scatters every entry into fresh arrays (about 5% of a stacking fit on
   * ConvAI, for five folds per embedding fit); reading the left-out rows' entries costs less.
   *
   * A subset of a subset is a subset of the first design, with the positions composed.
   *
   * @param rows - positions among this design's rows, ascending
   * @param options - centering and scaling (the row subset is `rows`)
   * @throws RangeError when `rows` does not ascend within this design's rows
   */
  subset(rows: Int32Array, options: Omit<SparseDesignOptions, 'rowIds'> = {}): SparseDesign {
    for (let i = 0; i < rows.length; i++) {
      if (!(rows[i]! >= (i > 0 ? rows[i - 1]! + 1 : 0) && rows[i]! < this.rows))
        throw new RangeError(`subset rows must ascend within 0..${this.rows - 1}; row ${i} is ${rows[i]}`);
    }
    const rowIds = Int32Array.from(rows, (r) => this.rowIds[r]!);
    // A subset of a subset reads the root's column index, so its rows are numbered among the root's rows.
    const parent = this.parent
      ? { design: this.parent.design, rows: Int32Array.from(rows, (r) => this.parent!.rows[r]!) }
      : { design: this as SparseDesign, rows };
    return new SparseDesign(this.csr, { ...options, rowIds }, parent);
  }

  /** Per-row scratch of {@link SparseDesign.timesTransposed} and {@link SparseDesign.timesTransposedAndSquares}. */
  private rowFactor(): Float64Array {
    // Indexed by the column index's rows: a subset's left-out rows are never written, so stay 0.
    this.factor ??= new Float64Array(this.indexRows);
    return this.factor;
  }

  /**
   * The design's rows stored by column (built on first use, one counting pass and one filling pass over the
   * non-zeros): the transposed products then gather each column's entries, which is about twice as fast as
   * scattering every row's entries into the output (no dependency between consecutive writes).
   */
  private columns(): Columns {
    if (this.byColumn) return this.byColumn;
    if (this.parent) return this.parent.design.columns();
    const { indptr, indices, values } = this.csr;
    const { rowIds, cols } = this;
    const start = new Int32Array(cols + 1);
    for (let r = 0; r < rowIds.length; r++) {
      const i = rowIds[r]!;
      for (let k = indptr[i]!, end = indptr[i + 1]!; k < end; k++) start[indices[k]! + 1]!++;
    }
    for (let j = 0; j < cols; j++) start[j + 1]! += start[j]!;
    const fill = start.slice(0, cols);
    const row = new Int32Array(start[cols]!);
    const vals = values instanceof Float32Array ? new Float32Array(row.length) : new Float64Array(row.length);
    for (let r = 0; r < rowIds.length; r++) {
      const i = rowIds[r]!;
      for (let k = indptr[i]!, end = indptr[i + 1]!; k < end; k++) {
        const p = fill[indices[k]!]!++;
        row[p] = r;
        vals[p] = values[k]!;
      }
    }
    this.byColumn = { start, row, values: vals };
    return this.byColumn;
  }
}

/** A design's non-zeros by column: column j's are `row/values[start[j] .. start[j + 1])`, rows ascending. */
interface Columns {
  start: Int32Array;
  /** The design's row (index into its rows, not the CSR's; a subset's parent's) of each entry. */
  row: Int32Array;
  values: Float32Array | Float64Array;
}
