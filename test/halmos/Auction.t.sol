// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {Test} from "forge-std/Test.sol";

/// @title AuctionCheck
/// @notice Halmos proofs of the Dutch-auction price curve and its outage-adjusted clock (`AuctionLib`), for every
/// start and reserve price up to uint128 (AuctionLib caps prices at 2^128 - 1 anyway) and durations and elapsed times up
/// to uint32 seconds. The decay in between goes through solady's lnWad/expWad, which the solvers cannot reason about
/// symbolically: monotonicity of the price in `elapsed` rests on the forge fuzz tests
/// (test/liquidation/AuctionLib.t.sol, testFuzz_price_nonIncreasing); what is proved here holds on every path,
/// including through lnWad/expWad.
contract AuctionCheck is Test {
    function _floor(uint256 reserve) internal pure returns (uint256) {
        return reserve == 0 ? 1 : reserve;
    }

    /// @notice The price is never below the reserve and never zero (a zero reserve is read as 1 wei), for any time.
    function check_price_neverBelowReserveNorZero(
        uint128 start,
        uint128 reserve,
        uint32 duration,
        uint32 elapsed
    ) public pure {
        uint256 p = AuctionLib.price(start, reserve, duration, elapsed);
        assert(p >= _floor(reserve));
        assert(p != 0);
    }

    /// @notice From `duration` on, the price is exactly the reserve.
    function check_price_isReserveFromDuration(
        uint128 start,
        uint128 reserve,
        uint32 duration,
        uint32 elapsed
    ) public pure {
        vm.assume(elapsed >= duration);
        assert(AuctionLib.price(start, reserve, duration, elapsed) == _floor(reserve));
    }

    /// @notice Outages only slow the auction down: effective elapsed time never exceeds the wall-clock time since the
    /// start, and is zero before it.
    function check_effectiveElapsed_neverAboveWallClock(
        uint40 start,
        uint40 now_,
        uint64 since,
        uint64 cumulative,
        uint64 base
    ) public pure {
        uint256 e = AuctionLib.effectiveElapsed(start, now_, since, cumulative, base);
        if (now_ <= start) assert(e == 0);
        else assert(e <= uint256(now_) - start);
    }
}
