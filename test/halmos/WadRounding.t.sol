// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Test} from "forge-std/Test.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title WadRoundingCheck
/// @notice Halmos proofs of the rounding facts that PoolMath will rely on when it wraps solady's WAD helpers:
/// the "Up" variant never rounds below the exact result and is at most one unit above the "Down" variant.
/// Division is proved for uint128 inputs (the width of stored amounts and WAD rates). Multiplication is proved for
/// uint64 inputs: with uint128 the 256-bit product does not settle within 60 s of yices on this machine, while
/// uint64 settles in ~5 s. The full-width case is left to the forge fuzz tests of PoolMath.
contract WadRoundingCheck is Test {
    function check_mulWad_upIsDownOrDownPlusOne(uint64 x, uint64 y) public pure {
        uint256 down = FixedPointMathLib.mulWad(x, y);
        uint256 up = FixedPointMathLib.mulWadUp(x, y);
        assert(up >= down);
        assert(up - down <= 1);
    }

    function check_divWad_upIsDownOrDownPlusOne(uint128 x, uint128 y) public pure {
        vm.assume(y != 0);
        uint256 down = FixedPointMathLib.divWad(x, y);
        uint256 up = FixedPointMathLib.divWadUp(x, y);
        assert(up >= down);
        assert(up - down <= 1);
    }
}
