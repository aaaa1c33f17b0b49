// The library: `import { readBlock, PriceWindow } from 'chainprice'`. The pure core only — parsing raw
// blocks and transactions, the price window, the estimate with its evidence and confidence. Nothing
// here touches the network, the disk or a timer, on import or after: bytes in, numbers out.

export { type Block, type BlockHeader, parseBlockHeader, readBlock } from './bitcoin/block.ts';
export { hashToHex, hexToHash, sha256d } from './bitcoin/hash.ts';
export { bytesToHex, hexToBytes } from './bitcoin/hex.ts';
export { ParseError } from './bitcoin/parse-error.ts';
export { type ScriptType, scriptType } from './bitcoin/script.ts';
export {
  parseTransaction,
  readTransaction,
  type Transaction,
  type TransactionOptions,
  type TxInput,
  type TxOutput,
} from './bitcoin/transaction.ts';
export { type CombAmount, type CombModel, combModelFrom, DEFAULT_COMB_MODEL } from './oracle/comb-model.ts';
export { type EstimateSummary, summariseEstimate } from './oracle/estimate-summary.ts';
export { type EvidencePoint, estimatePrice } from './oracle/estimator.ts';
export { DEFAULT_FILTER_PROFILE, type FilterProfile } from './oracle/filter-profile.ts';
export {
  type Estimate,
  type EstimateOptions,
  type NoEstimate,
  type PriceEstimate,
  PriceWindow,
  type WindowOptions,
} from './oracle/window.ts';
