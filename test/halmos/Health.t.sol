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

    /// @dev value x haircut x threshold, each step rounded down: the pool's liquidation limit, with its products primed.
    function _limit(uint64 price, uint16 haircut, uint16 thr) internal pure returns (uint256 limit) {
        _primeMul(price, haircut);
        uint256 haircutValue = PoolMath.mulBpsDown(price, haircut);
        _primeMul(haircutValue, thr);
        limit = PoolMath.mulBpsDown(haircutValue, thr);
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
        _primeMul(price, haircut);
        uint256 haircutValue = PoolMath.mulBpsDown(price, haircut);
        _primeMul(haircutValue, ltv);
        uint256 maxBorrow = PoolMath.mulBpsDown(haircutValue, ltv);
        (bool ok,) = address(pool)
            .staticcall(abi.encodeCall(PoolHarness.exposedCheckLtv, (_loan(principal), _terms(haircut, ltv, 0), price)));
        assert(ok == (principal <= maxBorrow));
    }

    /// @notice Each basis-point step of the limit rounds down: mulBpsDown(x, bps) x 1e4 <= x x bps.
    function check_mulBpsDown_neverAboveExact(uint128 x, uint16 bps) public pure {
        uint256 exactNum = _primeMul(x, bps);
        uint256 r = PoolMath.mulBpsDown(x, bps);
        unchecked {
            assert(r * PoolMath.BPS <= exactNum);
        }
    }
}
