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
    /// @notice Why a collection cannot be priced right now.
    enum Status {
        Ok,
        UnknownCollection,
        TwapNotReady, // too few sales, or the covered window is shorter than the minimum
        TwapStale, // newest sale older than the configured maximum age
        FloorStale, // feed older than its heartbeat, or the L2 sequencer is down or in its grace period
        FloorInvalid, // answer <= 0 or outside the feed's min/max bounds
        Jumped // a source moved beyond the configured deviation since the last recorded valuation
    }

    /// @notice Thrown by `price` when `collection` cannot be priced, with the reason.
    error ValuationUnavailable(address collection, Status status);

    /// @notice Price of one unit of `collection`: min(TWAP, floor), no haircut. Reverts with `ValuationUnavailable`
    /// when either source is stale, missing, invalid or has jumped. Records the valuation (for jump detection), which
    /// is why it is not `view`.
    function price(address collection) external returns (uint256);

    /// @notice View twin of `price` for off-chain readers: never reverts for a status, returns it instead.
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

    /// @notice Oracle outages of `collection`, so that running auctions can extend by them.
    /// @return since Start of the current outage, or 0 when the collection is priced normally.
    /// @return cumulative Total seconds of ended outages recorded so far.
    function outage(address collection) external view returns (uint64 since, uint64 cumulative);
}
