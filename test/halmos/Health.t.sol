// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {PoolHarness, PoolHarnessDeployer} from "./PoolHarness.sol";
import {Test} from "forge-std/Test.sol";

contract HealthCheck is Test {
    PoolHarness internal pool;

    function setUp() public {
        pool = PoolHarnessDeployer.deploy();
    }

    function _loan(uint256 amount, uint256 principal, uint256 premiumWad) internal pure returns (ILendingPoolTypes.Loan memory l) {
        l.amount = amount;
        l.principal = principal;
        l.premiumWad = premiumWad;
    }

    function _terms(uint16 haircut, uint16 ltv, uint16 thr) internal pure returns (ILendingPoolTypes.Terms memory t) {
        t.haircutBps = haircut;
        t.ltvBps = ltv;
        t.liqThresholdBps = thr;
    }

    function check_h1_boundary(uint64 price, uint16 haircut, uint16 thr, uint64 debt) public view {
        vm.assume(debt != 0);
        ILendingPoolTypes.Loan memory l = _loan(1, 0, 0);
        uint256 limit = PoolMath.mulBpsDown(PoolMath.mulBpsDown(price, haircut), thr);
        uint256 hf = pool.exposedHealthFactor(l, _terms(haircut, 0, thr), debt, price);
        assert((hf >= 1e18) == (debt <= limit));
    }

    function check_h2_limitRoundsDown(uint64 price, uint16 haircut, uint16 thr) public view {
        uint256 hf = pool.exposedHealthFactor(_loan(1, 0, 0), _terms(haircut, 0, thr), 1, price);
        // debt 1: hf = limit x WAD exactly.
        assert(hf % 1e18 == 0);
        assert((hf / 1e18) * 1e8 <= uint256(price) * haircut * thr);
    }

    function check_h3_ltvRoundsDown(uint64 price, uint16 haircut, uint16 ltv, uint64 principal) public view {
        ILendingPoolTypes.Loan memory l = _loan(1, principal, 0);
        try pool.exposedCheckLtv(l, _terms(haircut, ltv, 0), price) {
            assert(uint256(principal) * 1e8 <= uint256(price) * haircut * ltv);
        } catch {}
    }
}
