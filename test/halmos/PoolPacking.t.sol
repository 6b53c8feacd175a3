// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {PoolBase} from "../../src/pool/PoolBase.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The one valuation call a pool makes when built: its decimals (the harness's asset, a codeless address,
/// reads as 18).
contract DecimalsOnlyValuation {
    function assetDecimals() external pure returns (uint8) {
        return 18;
    }
}

/// @notice Exposes the pool's hand-written packing next to Solidity's own storage encoding of the same structs.
contract PackingHarness is PoolBase {
    constructor(address valuation_) PoolBase(address(1), valuation_) {}

    function packMarket(Market memory m) external pure returns (uint256) {
        return _packMarket(m);
    }

    function unpackMarket(uint256 w) external pure returns (Market memory) {
        return _unpackMarket(w);
    }

    function packRates(Rates memory r) external pure returns (uint256) {
        return _packRates(r);
    }

    function unpackRates(uint256 w) external pure returns (Rates memory) {
        return _unpackRates(w);
    }

    /// @dev What Solidity writes for `m`, read back as the raw slot.
    function solidityMarketWord(Market memory m) external returns (uint256 w) {
        _s().market = m;
        assembly ("memory-safe") {
            w := sload(POOL_SLOT)
        }
    }

    function solidityRatesWord(Rates memory r) external returns (uint256 w) {
        _s().rates = r;
        assembly ("memory-safe") {
            w := sload(add(POOL_SLOT, 1))
        }
    }

    /// @dev Solidity writes the rate configuration; the hand-written reader reads it back.
    function rateConfigRoundTrip(RateConfig memory rc) external returns (RateConfig memory) {
        _s().rateConfig = rc;
        return _loadRateConfig();
    }

    /// @dev The hand-written store, read back by Solidity.
    function storeMarketThenSolidityRead(Market memory m) external returns (Market memory) {
        _storeMarket(m);
        return _s().market;
    }

    function storeRatesThenSolidityRead(Rates memory r) external returns (Rates memory) {
        _storeRates(r);
        return _s().rates;
    }
}

/// @title PoolPackingCheck
/// @notice Halmos proofs that the pool's hand-written packing of its three hot slots (PoolBase: market, rates, rate
/// configuration) is exactly Solidity's storage layout of the same structs, in both directions, for every value of
/// every field (STYLE.md rule 30: a proof for every assembly trick). A field shifted by one bit, a mask one bit short
/// or a swapped pair of fields fails one of these.
contract PoolPackingCheck is Test {
    PackingHarness internal h;

    function setUp() public {
        h = new PackingHarness(address(new DecimalsOnlyValuation()));
    }

    function check_market_packIsSolidityLayout(uint112 cash, uint104 reserve, uint32 nextLoanId, bool open) public {
        PoolBase.Market memory m = PoolBase.Market(cash, reserve, nextLoanId, open);
        assert(h.packMarket(m) == h.solidityMarketWord(m));
        PoolBase.Market memory back = h.storeMarketThenSolidityRead(m);
        assert(back.cash == cash && back.reserve == reserve && back.nextLoanId == nextLoanId);
        assert(back.auctionsOpen == open);
    }

    /// @dev For every word either packer can write: the flag byte is 0 or 1 (a bool), any other bit pattern is free.
    function check_market_unpackInvertsPack(uint256 w) public view {
        vm.assume(w >> 248 <= 1);
        assert(h.packMarket(h.unpackMarket(w)) == w);
    }

    function check_rates_packIsSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        PoolBase.Rates memory r = PoolBase.Rates(scaled, index, lastUpdate);
        assert(h.packRates(r) == h.solidityRatesWord(r));
        PoolBase.Rates memory back = h.storeRatesThenSolidityRead(r);
        assert(back.totalScaledDebt == scaled && back.borrowIndex == index && back.lastUpdate == lastUpdate);
    }

    function check_rates_unpackInvertsPack(uint256 w) public view {
        assert(h.packRates(h.unpackRates(w)) == w);
    }

    function check_rateConfig_readIsSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        ILendingPoolTypes.RateConfig memory rc = ILendingPoolTypes.RateConfig(
            baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan
        );
        ILendingPoolTypes.RateConfig memory back = h.rateConfigRoundTrip(rc);
        assert(back.baseRate == baseRate && back.slope1 == slope1 && back.slope2 == slope2);
        assert(back.kinkBps == kinkBps && back.reserveFactorBps == reserveFactorBps);
        assert(back.borrowPaused == borrowPaused && back.minLoan == minLoan);
    }

    // The same properties under forge's fuzzer, so `make test` exercises them too.

    function testFuzz_market_packIsSolidityLayout(uint112 cash, uint104 reserve, uint32 id, bool open) public {
        check_market_packIsSolidityLayout(cash, reserve, id, open);
    }

    /// @dev Builds the word instead of assuming it: the low 248 bits as fuzzed, the flag byte 0 or 1 (the check's
    /// precondition). Assuming `w >> 248 <= 1` rejected all but 2 in 256 fuzzed words.
    function testFuzz_market_unpackInvertsPack(uint256 w) public view {
        check_market_unpackInvertsPack((w & type(uint248).max) | ((w >> 248) & 1) << 248);
    }

    function testFuzz_rates_packIsSolidityLayout(uint112 scaled, uint104 index, uint40 lastUpdate) public {
        check_rates_packIsSolidityLayout(scaled, index, lastUpdate);
    }

    function testFuzz_rates_unpackInvertsPack(uint256 w) public view {
        check_rates_unpackInvertsPack(w);
    }

    function testFuzz_rateConfig_readIsSolidityLayout(
        uint48 baseRate,
        uint48 slope1,
        uint48 slope2,
        uint16 kinkBps,
        uint16 reserveFactorBps,
        bool borrowPaused,
        uint64 minLoan
    ) public {
        check_rateConfig_readIsSolidityLayout(
            baseRate, slope1, slope2, kinkBps, reserveFactorBps, borrowPaused, minLoan
        );
    }
}
