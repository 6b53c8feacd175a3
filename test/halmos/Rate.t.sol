// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {KinkRate} from "../../src/libraries/KinkRate.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {Test} from "forge-std/Test.sol";

contract RateCheck is Test {
    function _params(uint48 b, uint48 s1, uint48 s2, uint16 k) internal pure returns (KinkRate.Params memory p) {
        p = KinkRate.Params({baseRate: b, slope1: s1, slope2: s2, kinkBps: k});
        vm.assume(KinkRate.isValid(p));
    }

    function check_k1_ends(uint48 b, uint48 s1, uint48 s2, uint16 k) public pure {
        KinkRate.Params memory p = _params(b, s1, s2, k);
        assert(KinkRate.rate(p, 0) == b);
        assert(KinkRate.rate(p, uint256(k) * 1e14) == uint256(b) + s1);
        assert(KinkRate.rate(p, 1e18) == uint256(b) + s1 + s2);
    }

    function check_k2_bounds(uint48 b, uint48 s1, uint48 s2, uint16 k, uint64 u) public pure {
        KinkRate.Params memory p = _params(b, s1, s2, k);
        vm.assume(u <= 1e18);
        uint256 r = KinkRate.rate(p, u);
        assert(r >= b && r <= uint256(b) + s1 + s2);
    }

    function check_k3_monotone(uint48 b, uint48 s1, uint48 s2, uint16 k, uint64 u1, uint64 u2) public pure {
        KinkRate.Params memory p = _params(b, s1, s2, k);
        vm.assume(u1 <= u2 && u2 <= 1e18);
        assert(KinkRate.rate(p, u1) <= KinkRate.rate(p, u2));
    }

    function check_k4_utilization(uint112 cash, uint128 debt) public pure {
        uint256 u = KinkRate.utilization(cash, debt);
        assert(u <= 1e18);
        assert((u == 1e18) == (cash == 0 && debt != 0));
    }

    function check_g1_growthMonotoneDt(uint40 rate, uint32 dt1, uint32 dt2) public pure {
        vm.assume(rate <= KinkRate.MAX_BASE_RATE + KinkRate.MAX_SLOPE1 + KinkRate.MAX_SLOPE2);
        vm.assume(dt1 <= dt2);
        assert(PoolMath.compoundedGrowth(rate, dt1) <= PoolMath.compoundedGrowth(rate, dt2));
    }

    function check_g2_growthAtLeastLinear(uint40 rate, uint32 dt) public pure {
        vm.assume(rate <= KinkRate.MAX_BASE_RATE + KinkRate.MAX_SLOPE1 + KinkRate.MAX_SLOPE2);
        assert(PoolMath.compoundedGrowth(rate, dt) >= uint256(rate) * dt);
    }

    function check_d1_newLoanOwesPrincipal(uint96 principal, uint104 index) public pure {
        vm.assume(index >= 1e18);
        uint256 scaled = PoolMath.toScaledUp(principal, index);
        assert(PoolMath.toDebtUp(scaled, index) >= principal);
    }
}
