// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IValuation
/// @notice The one interface through which a LendingPool prices collateral.
/// @dev Units: every price is the value of ONE unit of a collection (one ERC-721 token, or one unit of an ERC-1155
/// id) expressed in the smallest unit of the pool's borrow asset (wei for WETH, 1e-6 for a 6-decimal stablecoin).
/// The price is min(TWAP of sales, floor feed), with NO haircut: the haircut is a per-collection risk term that the
/// pool snapshots into each loan and applies itself (value = price x amount x (1 + premium) x haircut).
/// Warning: repayment never calls this interface; only borrowing, renewal and the start of a liquidation do.
interface IValuation {
    /// @notice Why a collection cannot be priced right now. Consumers should treat every value but `Ok` alike
    /// (values may be appended; existing values never change).
    enum Status {
        Ok,
        UnknownCollection, // not listed (never, or delisted)
        TwapNotReady, // too few sales, or the covered window is shorter than the minimum
        TwapStale, // newest sale older than the configured maximum age
        FloorStale, // floor feed older than its heartbeat, reverting, or reporting a time of 0 or in the future
        FloorInvalid, // answer <= 0 or outside the feed's min/max bounds
        Jumped, // a source moved beyond the configured deviation since the last valuation (the deviation stop)
        Frozen, // frozen by the guardian until the timelock unfreezes it
        SequencerDown // L2 only: the sequencer is down, or up for less than the grace period
    }

    /// @notice Thrown by `price` when `collection` cannot be priced, with the reason.
    error ValuationUnavailable(address collection, Status status);

    /// @notice Price of one unit of `collection`: min(TWAP, floor), no haircut. Reverts with `ValuationUnavailable`
    /// when either source is stale, missing, invalid or has jumped, or the collection is unknown or frozen.
    /// Records the valuation (the references of jump detection), which is why it is not `view`.
    function price(address collection) external returns (uint256);

    /// @notice View twin of `price` for off-chain readers: never reverts for a status, returns it instead.
    /// @return unitPrice min(TWAP, floor) when `status` is Ok, else 0.
    function priceView(address collection) external view returns (uint256 unitPrice, Status status);

    /// @notice Verifies a trait premium against the current signed Merkle root of `collection` and returns it capped at
    /// the configured multiple of `unitPrice`. Reverts on an unknown/expired root, a stale epoch or a bad proof.
    /// @param premium The premium claimed by the leaf, in borrow-asset units per unit of the token.
    function traitPremium(
        address collection,
        uint256 tokenId,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external view returns (uint256 cappedPremium);

    /// @notice The outage clock of `collection`, so that running auctions can extend by oracle outages. An outage is
    /// any time during which `priceView` would not have returned Ok. Derived in the view from the recorded
    /// checkpoint and the sources' own history, so it needs no keeper for outages that are still running or that
    /// ended after the last checkpoint (see the implementation for the exact guarantee).
    /// @return since Start of the outage running now, or 0 when the collection is priced normally.
    /// @return cumulative Total seconds of ended outages so far; never decreases.
    function outage(address collection) external view returns (uint64 since, uint64 cumulative);

    /// @notice Decimals of the pool asset every price is expressed in. A pool refuses a valuation whose decimals
    /// differ from its asset's (`ILendingPoolTypes.ValuationDecimalsMismatch`).
    function assetDecimals() external view returns (uint8);

    /// @notice The jump-detection deviation of `collection` in bps (0 when it is not listed): a source move of at
    /// least this much is flagged (`Jumped`), so an unflagged drop is strictly smaller. The pool starts every auction
    /// at no less than `10_000 / (1 - deviation)` of the value (`PoolMath.minAuctionStartBps`).
    function deviationBps(address collection) external view returns (uint256);
}
