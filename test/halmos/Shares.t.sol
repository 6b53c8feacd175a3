// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {Test} from "forge-std/Test.sol";

contract SharesCheck is Test {
    uint256 constant V = 1e6;

    function check_s1_sharesUpDown(uint128 a, uint128 A, uint128 S) public pure {
        uint256 down = PoolMath.toSharesDown(a, A, S);
        uint256 up = PoolMath.toSharesUp(a, A, S);
        assert(up >= down && up - down <= 1);
    }

    function check_s2_assetsUpDown(uint128 s, uint128 A, uint128 S) public pure {
        uint256 down = PoolMath.toAssetsDown(s, A, S);
        uint256 up = PoolMath.toAssetsUp(s, A, S);
        assert(up >= down && up - down <= 1);
    }

    function check_s3_sharesDownLow(uint64 a, uint64 A, uint64 S) public pure {
        uint256 down = PoolMath.toSharesDown(a, A, S);
        assert(down * (uint256(A) + 1) <= uint256(a) * (uint256(S) + V));
    }

    function check_s4_sharesUpHigh(uint64 a, uint64 A, uint64 S) public pure {
        uint256 up = PoolMath.toSharesUp(a, A, S);
        unchecked {
            assert(up * (uint256(A) + 1) >= uint256(a) * (uint256(S) + V));
        }
    }

    function check_s5_assetsUpHigh(uint64 s, uint64 A, uint64 S) public pure {
        uint256 up = PoolMath.toAssetsUp(s, A, S);
        unchecked {
            assert(up * (uint256(S) + V) >= uint256(s) * (uint256(A) + 1));
        }
    }

    function check_s4b_floorHigh(uint64 a, uint64 A, uint64 S) public pure {
        uint256 prime = uint256(a) * (uint256(S) + V);
        uint256 down = PoolMath.toSharesDown(a, A, S);
        unchecked {
            assert((down + 1) * (uint256(A) + 1) > prime);
        }
    }

    function check_s6_assetsDownLow(uint64 s, uint64 A, uint64 S) public pure {
        uint256 down = PoolMath.toAssetsDown(s, A, S);
        assert(down * (uint256(S) + V) <= uint256(s) * (uint256(A) + 1));
    }

    function check_s7_firstDeposit(uint128 a) public pure {
        assert(PoolMath.toSharesDown(a, 0, 0) == uint256(a) * V);
    }

    function check_s8_zeroSharesNeedsPrice(uint64 a, uint64 A, uint64 S) public pure {
        if (PoolMath.toSharesDown(a, A, S) == 0) assert(uint256(a) * (uint256(S) + V) < uint256(A) + 1);
    }

    function check_s9_sameTotalsRoundTrip(uint64 s, uint64 A, uint64 S) public pure {
        uint256 a = PoolMath.toAssetsDown(s, A, S);
        assert(PoolMath.toSharesDown(a, A, S) <= s);
    }
}
