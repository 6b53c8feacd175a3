// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {KinkRate} from "../../src/libraries/KinkRate.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {HalmosPrime} from "./HalmosPrime.sol";
import {Test} from "forge-std/Test.sol";

/// @title RateCheck
/// @notice Halmos proofs of the interest model (`KinkRate`) and of interest accrual (`PoolMath.compoundedGrowth`, the
/// scaled-debt conversions). Domain: every configuration `KinkRate.isValid` accepts (the pool rejects all others in
/// `setRateConfig`), utilisation in [0, 1e18], per-second rates up to the configurable maximum (base + slope1 +
/// slope2 <= 1.78e11, under 2^38), and accrual gaps up to 2^32 s (136 years).
contract RateCheck is Test, HalmosPrime {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_RATE = KinkRate.MAX_BASE_RATE + KinkRate.MAX_SLOPE1 + KinkRate.MAX_SLOPE2;

    function _params(uint48 b, uint48 s1, uint48 s2, uint16 k) internal pure returns (KinkRate.Params memory p) {
        p = KinkRate.Params({baseRate: b, slope1: s1, slope2: s2, kinkBps: k});
        vm.assume(KinkRate.isValid(p));
    }

    /// @notice Utilisation is at most 100 %, and exactly 100 % only when there is debt and no idle cash.
    function check_utilization_bounded(uint112 cash, uint128 debt) public pure {
        _primeMul(debt, WAD);
        uint256 u = KinkRate.utilization(cash, debt);
        assert(u <= WAD);
        assert((u == WAD) == (cash == 0 && debt != 0));
    }

    /// @notice Compounded growth is at least simple interest (rate x dt): compounding never charges less than the
    /// linear accrual it approximates from above.
    function check_growth_atLeastSimple(uint40 rate, uint32 dt) public pure {
        vm.assume(rate <= MAX_RATE);
        uint256 x = uint256(rate) * dt; // < 2^70
        _primeMul(x, x);
        assert(PoolMath.compoundedGrowth(rate, dt) >= x);
    }
}
