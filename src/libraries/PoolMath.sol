// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title PoolMath
/// @notice Fixed-point helpers whose names carry their rounding direction. Every call site picks the direction that
/// favours the pool: debt and shares burned round up, shares minted and collateral value round down.
library PoolMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant SECONDS_PER_YEAR = 365 days;

    /// @dev Virtual shares and assets: the share price starts at 1e-6 asset per share and cannot be inflated by a first
    /// depositor (donations are not counted anyway, since total assets come from tracked accounting).
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 internal constant VIRTUAL_ASSETS = 1;

    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, y, d);
    }

    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(x, y, d);
    }

    function mulWadDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, y, WAD);
    }

    function mulWadUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(x, y, WAD);
    }

    function mulBpsDown(uint256 x, uint256 bps) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, bps, BPS);
    }

    function mulBpsUp(uint256 x, uint256 bps) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(x, bps, BPS);
    }

    /// @dev Assets to shares, rounded down: what a depositor receives, or what `redeem` is allowed to burn against.
    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    /// @dev Assets to shares, rounded up: what `withdraw` burns.
    function toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    /// @dev Shares to assets, rounded down: what `redeem` pays.
    function toAssetsDown(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    /// @dev Shares to assets, rounded up: what `mint` charges.
    function toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    /// @dev Scaled debt to nominal debt, rounded up: what a borrower owes.
    function toDebtUp(uint256 scaled, uint256 index) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(scaled, index, WAD);
    }

    /// @dev Nominal amount to scaled debt, rounded up: what a new loan or a renewal records.
    function toScaledUp(uint256 amount, uint256 index) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(amount, WAD, index);
    }

    /// @dev Nominal amount to scaled debt, rounded down: how much a partial repayment removes.
    function toScaledDown(uint256 amount, uint256 index) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(amount, WAD, index);
    }

    /// @dev e^(rate x dt) - 1 by its first three Taylor terms, in WAD. Never above the true value for the bounded
    /// rates this pool allows, so compounding cannot overshoot; the error over a year at the 5.25 APR maximum is
    /// charged to nobody because accrual runs on every entry point.
    function compoundedGrowth(uint256 ratePerSecond, uint256 dt) internal pure returns (uint256) {
        uint256 first = ratePerSecond * dt;
        uint256 second = mulWadDown(first, first) / 2;
        uint256 third = mulWadDown(second, first) / 3;
        return first + second + third;
    }

    /// @notice The smallest auction start multiple (bps of the value) that covers an unflagged drop of just under
    /// `deviationBps`: `10_000 / (1 - deviation)` in bps, i.e. `ceil(10_000^2 / (10_000 - deviationBps))`, rounded up
    /// (the tighter requirement). A start at or above it opens above the value before any unflagged drop, because a
    /// drop is unflagged only when strictly smaller than the deviation (`ValuationMath.deviatesAtLeast`). The pool enforces
    /// it when terms are set and lifts each auction's start to it.
    /// @dev `deviationBps < 10_000` (the configured bound is 5,000).
    function minAuctionStartBps(uint256 deviationBps) internal pure returns (uint256) {
        return FixedPointMathLib.divUp(BPS * BPS, BPS - deviationBps);
    }
}
