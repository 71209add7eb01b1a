import { binaryCollation } from './helpers';

/**
 * References compare as written, as on SQLite: under the table's case- and accent-folding
 * collation, action `Trust:ABC` counted as already awarded for `trust:abc`, and invoice `INV`
 * shared its entries with `inv`. MySQL/MariaDB only; the column keeps its type.
 */
export const { up, down } = binaryCollation('loyalty_ledger', 'reference', 'VARCHAR(160)');
