// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";

/// @title DefaultParams
/// @notice The protocol's default rate model and listing terms, in one place for the deployment scripts, the test
/// fixtures and the invariant harness, so that what the tests and campaigns exercise is what a deployment configures.
/// Pure functions only (no cheatcodes): the harness also runs under Echidna and medusa.
library DefaultParams {
    /// @notice Default rate model: 2 % APR base, +15 % up to the 75 % kink, +150 % above it; 10 % of the interest to
    /// the reserve; borrowing open; loans of at least `minLoan`.
    function rateConfig(uint256 minLoan) internal pure returns (ILendingPoolTypes.RateConfig memory) {
        return ILendingPoolTypes.RateConfig({
            baseRate: uint48(uint256(0.02e18) / 365 days),
            slope1: uint48(uint256(0.15e18) / 365 days),
            slope2: uint48(uint256(1.5e18) / 365 days),
            kinkBps: 7500,
            reserveFactorBps: 1000,
            borrowPaused: false,
            minLoan: uint64(minLoan)
        });
    }

    /// @notice Default listing terms for a collection of token `standard` (1 = ERC-721, 2 = ERC-1155): 50 % LTV, 70 %
    /// liquidation threshold, 65 % haircut, 30-day loans with 2 days' grace, 36 h auctions from 120 % of the value
    /// down to 50 %, a 5 % penalty shared half with the keeper.
    function terms(uint8 standard) internal pure returns (ILendingPoolTypes.Terms memory) {
        return ILendingPoolTypes.Terms({
            standard: standard,
            ltvBps: 5000,
            liqThresholdBps: 7000,
            haircutBps: 6500,
            penaltyBps: 500,
            keeperShareBps: 5000,
            auctionStartBps: 12_000,
            auctionReserveBps: 5000,
            duration: 30 days,
            grace: 2 days,
            auctionDuration: 36 hours
        });
    }
}
