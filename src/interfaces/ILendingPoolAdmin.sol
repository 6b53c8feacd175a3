// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILendingPoolTypes} from "./ILendingPoolTypes.sol";

/// @title ILendingPoolAdmin
/// @notice The pool's administration, served by `LendingPoolAdmin` behind the extension's fallback: listing terms,
/// exposure limits, the guardian's switches, the rate curve, the liquidation module, the unlock period, custody and
/// the reserve. Every entry point is the timelock's, or the guardian's where it can only tighten. The roles
/// themselves (`IGoverned`) are the core's: every part inherits them, and the core answers first.
interface ILendingPoolAdmin is ILendingPoolTypes {
    /// @notice Lists a collection or changes its terms (new terms id; open loans keep theirs). Timelock only; accrues
    /// first. Requires ltv < liquidation threshold < 100 %, a haircut <= 100 %, an auction of 24 h to 48 h whose reserve
    /// is below its start, an auction start at least `10_000 / (1 - deviation)` of the value for the collection's
    /// current valuation deviation (`AuctionStartBelowDeviation`), and a standard that never changes once listed.
    function setTerms(address collection, Terms calldata terms, uint256 debtCeiling) external returns (uint32 termsId);

    /// @notice Sets a collection's debt ceiling. The timelock may raise or lower it; the guardian may only lower it.
    function setDebtCeiling(address collection, uint256 ceiling) external;

    /// @notice Sets the most principal one borrower may owe against `collection` across its loans (`cap`; 0: no cap
    /// of its own, the ceiling bounds it) and the most units one loan may pledge (`maxUnits`; 0: no cap; an ERC-1155
    /// stack is auctioned as one lot, so this is the depth the market is taken to absorb at the price, see
    /// docs/exposure.md). The timelock may raise or lower both; the guardian may only lower them: it may not set 0
    /// over a cap, nor a first principal cap above the ceiling. Loans already open are not touched.
    function setBorrowerCap(address collection, uint256 cap, uint256 maxUnits) external;

    /// @notice Freezes a collection against new loans (guardian or timelock); only the timelock unfreezes.
    function setCollectionFrozen(address collection, bool frozen) external;

    /// @notice Sets the rate model, reserve factor, minimum loan and the borrow pause. Timelock only; accrues first.
    function setRateConfig(RateConfig calldata config) external;

    /// @notice Pauses new borrows (guardian or timelock). Only the timelock unpauses, through `setRateConfig`.
    function pauseBorrows() external;

    /// @notice Sets the liquidation module. Timelock only. The module replaced may still settle (and relist) the
    /// auctions it started before the change, so none is stranded.
    function setLiquidator(address liquidator) external;

    /// @notice Sets the period over which recoveries unlock, 1 hour to 7 days. Timelock only.
    function setUnlockPeriod(uint256 period) external;

    /// @notice Sets where NFTs of auctions without a bid go. Timelock only; emits `CustodySet`.
    function setCustody(address custody) external;

    /// @notice Withdraws part of the reserve not earmarked for running auctions, from idle cash. Timelock only.
    function withdrawReserve(uint256 amount, address to) external;
}
