// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {TwapLib} from "../../src/oracle/TwapLib.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @notice The TWAP kept as running sums (TwapLib) equals the decay-weighted mean recomputed from the kept sales,
/// weight 2^(-(newest - t) / halfLife), over random histories: wraps of the ring, moves of the reference time after
/// 15 half-lives, half-life changes, sales far older than the rest.
contract TwapMathTest is ValuationBase {
    /// @dev The mean straight from the definition (weights relative to the newest sale), in WAD-precision integers.
    function _reference(uint256 halfLife) internal view returns (uint256) {
        (uint256[] memory prices, uint256[] memory times) = valuation.observations(collection);
        uint256 newest = times[times.length - 1];
        uint256 num;
        uint256 den;
        for (uint256 i; i < prices.length; ++i) {
            uint256 x = FixedPointMathLib.fullMulDiv(newest - times[i], uint256(TwapLib.LN2_WAD), halfLife);
            uint256 w = x >= 42e18 ? 0 : uint256(FixedPointMathLib.expWad(-int256(x)));
            num += prices[i] * w;
            den += w;
        }
        return num / den;
    }

    function _assertMatches(uint256 halfLife) internal view {
        uint256 stored = _head(collection).twap;
        uint256 expected = _reference(halfLife);
        // Both round their weights differently (1e-18 relative per weight): allow 1e-12 relative plus one unit.
        uint256 tolerance = expected / 1e12 + 1;
        assertApproxEqAbs(stored, expected, tolerance, "stored TWAP vs definition");
    }

    /// forge-config: default.fuzz.runs = 128
    function testFuzz_runningSumsEqualDefinition(uint256 seed) public {
        IValuationAdmin.TwapParams memory p;
        (, p,) = valuation.collectionConfig(collection);
        // A wide clamp so the recorded prices vary a lot.
        p.clampBps = 5000;
        vm.prank(timelock);
        valuation.setTwapParams(collection, p);
        for (uint256 i; i < 40; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Gaps from the minimum spacing to ~2 days: some sales land more than 15 half-lives after the reference.
            uint256 gap = (r & 3) == 0 ? bound(r >> 8, 2 days, 3 days) : bound(r >> 8, 2 minutes, 3 hours);
            _step(gap);
            if ((r >> 64) % 13 == 0) {
                p.halfLife = uint24(bound(r >> 72, 10 minutes, 2 days));
                p.anchorPeriod = p.minWindow;
                vm.prank(timelock);
                valuation.setTwapParams(collection, p);
            }
            _report(bound(r >> 128, 1 ether, 1000 ether));
            _assertMatches(p.halfLife);
        }
    }

    /// @dev Sales evicted by the running sums (between moves of the reference time, which happen after 15 quiet
    /// half-lives) leave exactly their own term: no drift and no underflow through several wraps of the ring.
    function test_evictionAfterRebase() public {
        IValuationAdmin.TwapParams memory p;
        (, p,) = valuation.collectionConfig(collection);
        p.halfLife = 1 hours;
        p.clampBps = 5000;
        vm.prank(timelock);
        valuation.setTwapParams(collection, p);
        for (uint256 i; i < 70; ++i) {
            _step(i % 30 == 29 ? 16 hours : 2 minutes); // 16 h = 16 half-lives: the reference moves
            _report(i % 3 == 0 ? 14 ether : 10 ether);
            _assertMatches(p.halfLife);
        }
        (, IValuationAdmin.TwapState memory st,,) = valuation.twapState(collection);
        assertEq(st.count, 16);
    }
}
