// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {HalmosPrime} from "./HalmosPrime.sol";
import {Test} from "forge-std/Test.sol";

/// @title SharesCheck
/// @notice Halmos proofs of the lender share conversions in `PoolMath`, the functions the pool's ERC-4626 entry points
/// call: deposit mints `toSharesDown`, mint charges `toAssetsUp`, withdraw burns `toSharesUp`, redeem pays
/// `toAssetsDown` (LendingPool.sol), all over the pool's tracked total assets `A` and share supply `S`.
/// Widths: the "up is down or down + 1" facts hold for uint128 inputs (every stored amount fits); the facts that compare
/// against the exact rational value are proved for uint64 amounts and totals (1.8e19 wei, 18
/// billion tokens of 18 decimals; the share supply is 1e6 x assets, so uint64 shares cover 1.8e13 wei of deposits).
/// Wider products do not settle within the 60 s per-query bound; the forge fuzz tests cover full width.
/// Exact value of a conversion: assets -> shares = a x (S + 1e6) / (A + 1); shares -> assets = s x (A + 1) / (S + 1e6).
contract SharesCheck is Test, HalmosPrime {
    uint256 internal constant V = PoolMath.VIRTUAL_SHARES;

    /// @notice Withdraw burns at least what deposit would mint, and at most one share more.
    function check_toShares_upIsDownOrDownPlusOne(uint128 a, uint128 A, uint128 S) public pure {
        uint256 down = PoolMath.toSharesDown(a, A, S);
        uint256 up = PoolMath.toSharesUp(a, A, S);
        assert(up >= down && up - down <= 1);
    }

    /// @notice Mint charges at least what redeem would pay, and at most one wei more.
    function check_toAssets_upIsDownOrDownPlusOne(uint128 s, uint128 A, uint128 S) public pure {
        uint256 down = PoolMath.toAssetsDown(s, A, S);
        uint256 up = PoolMath.toAssetsUp(s, A, S);
        assert(up >= down && up - down <= 1);
    }

    /// @notice Deposit never mints more than the exact share amount.
    function check_deposit_sharesNeverAboveExact(uint64 a, uint64 A, uint64 S) public pure {
        uint256 exactNum = _primeMul(a, uint256(S) + V);
        uint256 shares = PoolMath.toSharesDown(a, A, S);
        unchecked {
            assert(shares * (uint256(A) + 1) <= exactNum);
        }
    }

    /// @notice Deposit mints less than the exact amount by under one share (it rounds, it does not truncate more).
    function check_deposit_sharesWithinOneOfExact(uint64 a, uint64 A, uint64 S) public pure {
        uint256 exactNum = _primeMul(a, uint256(S) + V);
        uint256 shares = PoolMath.toSharesDown(a, A, S);
        unchecked {
            assert((shares + 1) * (uint256(A) + 1) > exactNum);
        }
    }

    /// @notice Inflation defence, first deposit: an empty pool mints exactly 1e6 shares per wei, with no rounding
    /// loss, so the first depositor cannot be rounded down to nothing.
    function check_firstDeposit_exact(uint128 a) public pure {
        assert(PoolMath.toSharesDown(a, 0, 0) == uint256(a) * V);
    }

    /// @notice Inflation defence, later deposits: a deposit rounds to zero shares (and `deposit` reverts with
    /// ZeroShares rather than taking it) only if it is worth less than one share, i.e. a x (S + 1e6) < A + 1. So making
    /// a victim's deposit of `a` mint nothing takes counted assets A >= 1e6 x a; donations are not counted (total
    /// assets come from tracked accounting), so an attacker would have to put a million times the victim's deposit at
    /// risk in the pool.
    function check_zeroShares_onlyBelowOneShare(uint64 a, uint64 A, uint64 S) public pure {
        uint256 exactNum = _primeMul(a, uint256(S) + V);
        if (PoolMath.toSharesDown(a, A, S) == 0) {
            assert(exactNum < uint256(A) + 1);
            assert(uint256(a) * V <= A);
        }
    }
}
