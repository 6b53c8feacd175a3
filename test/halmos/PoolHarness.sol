// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../../src/LendingPool.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";

/// @notice The real pool with its internal maths exposed, so the Halmos proofs run the production code paths
/// (`_healthFactor`, `_checkLtv`, `_collateralValue`, `_interest`) rather than copies of them.
contract PoolHarness is LendingPool {
    constructor(address asset_, address valuation_, address extension_) LendingPool(asset_, valuation_, extension_) {}

    function exposedHealthFactor(
        Loan memory loan,
        Terms memory t,
        uint256 debt,
        uint256 unitPrice
    ) external pure returns (uint256) {
        return _healthFactor(loan, t, debt, unitPrice);
    }

    function exposedCheckLtv(Loan memory loan, Terms memory t, uint256 unitPrice) external pure {
        _checkLtv(loan, t, unitPrice);
    }

    function exposedCollateralValue(
        uint256 unitPrice,
        uint256 amount,
        uint256 premium,
        uint256 premiumMultipleWad
    ) external pure returns (uint256) {
        return _collateralValue(unitPrice, amount, premium, premiumMultipleWad);
    }

    /// @return interest Interest charged since `r.lastUpdate`.
    /// @return toReserve The reserve's cut of it.
    /// @return newIndex The borrow index after accrual.
    function exposedInterest(
        Market memory m,
        Rates memory r,
        RateConfig memory rc
    ) external view returns (uint256 interest, uint256 toReserve, uint256 newIndex) {
        (interest, toReserve) = _interest(m, r, rc);
        newIndex = r.borrowIndex;
    }
}

/// @notice The one valuation call a pool makes when built: the decimals it prices in (the harness's asset, a codeless
/// address, reads as 18). Without it both halves' constructors revert (ValuationDecimalsMismatch check, issue 15).
contract HarnessDecimalsValuation {
    function assetDecimals() external pure returns (uint8) {
        return 18;
    }
}

/// @notice Deploys the harness the way production deploys the pool: an extension built for the same asset and
/// valuation first. Neither is initialised: the proofs call pure and view maths only.
library PoolHarnessDeployer {
    function deploy() internal returns (PoolHarness) {
        address asset = address(0xA55E7);
        address valuation = address(new HarnessDecimalsValuation());
        LendingPoolExtension ext = new LendingPoolExtension(asset, valuation);
        return new PoolHarness(asset, valuation, address(ext));
    }
}
