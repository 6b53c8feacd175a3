// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {HalmosPrime} from "./HalmosPrime.sol";
import {PoolHarness, PoolHarnessDeployer} from "./PoolHarness.sol";
import {Test} from "forge-std/Test.sol";

/// @title HealthCheck
/// @notice Halmos proofs of the pool's health-factor and LTV rounding, run on the pool's own `_healthFactor` and
/// `_checkLtv` (through PoolHarness). One ERC-721 unit (amount 1) without trait premium; prices up to uint64 (1.8e19
/// wei per item), debts up to uint64, terms in basis points as stored (uint16).
contract HealthCheck is Test, HalmosPrime {
    PoolHarness internal pool;

    function setUp() public {
        pool = PoolHarnessDeployer.deploy();
    }

    function _loan(uint256 principal) internal pure returns (ILendingPoolTypes.Loan memory l) {
        l.amount = 1;
        l.principal = principal;
    }

    function _terms(uint16 haircut, uint16 ltv, uint16 thr) internal pure returns (ILendingPoolTypes.Terms memory t) {
        t.haircutBps = haircut;
        t.ltvBps = ltv;
        t.liqThresholdBps = thr;
    }

    /// @dev value x haircut x threshold, each step rounded down: the liquidation limit, in plain integer arithmetic
    /// (floor division), not through PoolMath, whose helpers are what the proofs check. The products the pool's own
    /// helpers form are primed (HalmosPrime).
    function _limit(uint64 price, uint16 haircut, uint16 thr) internal pure returns (uint256 limit) {
        uint256 haircutValue = _primeMul(price, haircut) / 10_000;
        limit = _primeMul(haircutValue, thr) / 10_000;
        _primeMul(limit, PoolMath.WAD);
    }

    /// @notice The healthy/unhealthy boundary is exact: health factor >= 1 (WAD) if and only if the debt is at most
    /// the rounded-down limit. A loan exactly at the limit is healthy (renewable, not liquidatable); one wei more is
    /// liquidatable. No rounding slack in the borrower's favour.
    function check_healthFactor_boundaryExact(uint64 price, uint16 haircut, uint16 thr, uint64 debt) public view {
        vm.assume(debt != 0);
        uint256 limit = _limit(price, haircut, thr);
        uint256 hf = pool.exposedHealthFactor(_loan(0), _terms(haircut, 0, thr), debt, price);
        assert((hf >= PoolMath.WAD) == (debt <= limit));
    }

    /// @notice The LTV check at origination accepts exactly the principals up to value x haircut x LTV with each step
    /// rounded down (against the borrower; each step never exceeds its exact value, see check_mulBpsDown_neverAboveExact).
    function check_ltv_boundaryExact(uint64 price, uint16 haircut, uint16 ltv, uint64 principal) public view {
        // Floor division in plain arithmetic, independent of PoolMath.mulBpsDown (proved separately below).
        uint256 haircutValue = _primeMul(price, haircut) / 10_000;
        uint256 maxBorrow = _primeMul(haircutValue, ltv) / 10_000;
        (bool ok,) = address(pool)
            .staticcall(abi.encodeCall(PoolHarness.exposedCheckLtv, (_loan(principal), _terms(haircut, ltv, 0), price)));
        assert(ok == (principal <= maxBorrow));
    }

    /// @notice Each basis-point step of the limit is the floor of the exact value, bounded on both sides:
    /// mulBpsDown(x, bps) x 1e4 <= x x bps < (mulBpsDown(x, bps) + 1) x 1e4. Never above the exact value (against the
    /// borrower) and never a whole unit below it (a helper returning 0, or rounding down twice, fails).
    function check_mulBpsDown_neverAboveExact(uint128 x, uint16 bps) public pure {
        uint256 exactNum = _primeMul(x, bps);
        uint256 r = PoolMath.mulBpsDown(x, bps);
        unchecked {
            assert(r * 10_000 <= exactNum);
            assert(exactNum < (r + 1) * 10_000);
        }
    }
}
