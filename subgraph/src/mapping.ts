// The one mapping file every data source and template names: graph-cli compiles a file once however many data
// sources share it, so the subgraph builds as a single WASM module (about 7 s instead of 40 s for one per source).
export { handleOrderFulfilled } from './seaport';
export {
  handleAuctionRelisted,
  handleAuctionSettled,
  handleAuctionStarted,
  handleBadDebt,
  handleBorrow,
  handleDeposit,
  handleLiquidatorSet,
  handleLoanRepaid,
  handleRecoveryBooked,
  handleRenew,
  handleRepay,
  handleTermsSet,
  handleWithdraw,
} from './pool';
export { handleAuctionBought, handleAuctionClosed, handleModuleAuctionRelisted, handleModuleAuctionStarted } from './auction';
export {
  handleCollectionDelisted,
  handleCollectionFrozen,
  handleCollectionListed,
  handleCollectionUnfrozen,
  handleSaleObserved,
} from './valuation';
export { handleCallExecuted, handleCallSalt, handleCallScheduled, handleCancelled } from './timelock';
export { handleTransfer, handleTransferSingle } from './collection';
