// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Vm} from "forge-std/Vm.sol";

/// @dev Issue #5's gas targets for the auction entry points (whole transaction).
uint256 constant START_TARGET = 80_000;
uint256 constant BUY_TARGET = 100_000;

/// @dev Records how far the last call's whole-transaction gas lies above `target` (0 when met) as a snapshot value.
function overTarget(Vm vm, string memory name, uint256 target) {
    uint256 used = vm.lastCallGas().gasTotalUsed;
    vm.snapshotValue(string.concat(name, ": over the target by"), used > target ? used - target : 0);
}

/// @notice Whole-transaction gas of the auction entry points, with the real LendingPool behind its proxy over the
/// fixture's WETH (a plain ERC-20, as cheap as WETH9), like the pool's own gas tests.
/// Run with `forge test --isolate --match-path test/gas/AuctionGas.t.sol` (each call then is its own transaction, cold
/// storage and intrinsic cost included). Targets (issue #5): start <= 80,000; buy <= 100,000, both MISSED (docs/liquidation.md,
/// "Gas"): they are not asserted green. The steady-state tests record by how much each misses in
/// their snapshot ("... over the target by"), so the miss sits in the committed numbers that `make gas-check` compares
/// in CI, and meeting a target changes that entry to 0.
contract AuctionGasTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    function test_start_gas() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether);
        vm.prank(keeper);
        auction.start(loanId, loan);
        vm.snapshotGasLastCall("auction start (real pool)");
    }

    /// @dev A sale above the debt: the keeper and the borrower get claimable balances for the first time.
    function test_buy_gas_surplus() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        _fundBuyer(buyer, 9 ether);
        skip(1 hours);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 9 ether);
        vm.snapshotGasLastCall("auction buy, surplus (real pool)");
    }

    /// @dev A sale at the reserve below the debt: the shortfall is written off in the same transaction.
    function test_buy_gas_shortfall() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), 3 ether);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        skip(40 hours);
        _fundBuyer(buyer, 2.1 ether);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 2.1 ether);
        vm.snapshotGasLastCall("auction buy, shortfall (real pool)");
    }

    /// @dev Steady state: another auction already runs (the pool's auction book is non-zero) and the keeper and the
    /// borrower already hold claims from an earlier sale.
    function test_start_gas_steadyState() public {
        _priorSale(10);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        (uint256 otherId, ILendingPoolTypes.Loan memory other) = _borrowApe(borrower, 2, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether);
        vm.prank(keeper);
        auction.start(otherId, other);
        skip(12 minutes); // interest accrues between operations, as on chain
        vm.prank(keeper);
        auction.start(loanId, loan);
        vm.snapshotGasLastCall("auction start, steady state (real pool)");
        overTarget(vm, "auction start, steady state (real pool)", START_TARGET);
    }

    function test_buy_gas_steadyState() public {
        _priorSale(10);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        (uint256 otherId, ILendingPoolTypes.Loan memory other) = _borrowApe(borrower, 2, PRINCIPAL);
        apes.mint(buyer, 99); // the buyer already holds an NFT of the collection
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether);
        vm.prank(keeper);
        auction.start(otherId, other);
        skip(12 minutes); // interest accrues between operations, as on chain
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        _fundBuyer(buyer, 18 ether);
        skip(1 hours);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 9 ether);
        vm.snapshotGasLastCall("auction buy, steady state (real pool)");
        overTarget(vm, "auction buy, steady state (real pool)", BUY_TARGET);
    }

    /// @dev A completed sale, so that the keeper and the borrower hold claims and the reserve is funded.
    function _priorSale(uint256 tokenId) internal {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, tokenId, PRINCIPAL);
        valuation.setPrice(address(apes), 6 ether);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        _fundBuyer(stranger, 9 ether);
        vm.prank(stranger);
        auction.buy(loanId, loan, a, 9 ether);
        valuation.setPrice(address(apes), UNIT_PRICE);
        skip(12 minutes);
    }

    function test_settle_gas() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        skip(36 hours);
        vm.prank(stranger);
        auction.settle(loanId, loan, a);
        vm.snapshotGasLastCall("auction settle, no bid (real pool)");
    }
}

/// @notice The same entry points over the mock pool, whose own work is minimal: the module's share of the budget.
contract AuctionGasMockPoolTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpMockAuction();
    }

    function test_start_gas_mockPool() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        vm.prank(keeper);
        auction.start(loanId, loan);
        vm.snapshotGasLastCall("auction start (mock pool)");
    }

    function test_buy_gas_mockPool() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 15 ether);
        skip(1 hours);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 15 ether);
        vm.snapshotGasLastCall("auction buy (mock pool)");
    }

    function test_settle_gas_mockPool() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(36 hours);
        vm.prank(stranger);
        auction.settle(loanId, loan, a);
        vm.snapshotGasLastCall("auction settle (mock pool)");
    }
}

/// @notice Auction start and buy with the real valuation path (a `Valuation` proxy with a ready TWAP and a fresh floor
/// feed, as in the pool's real-valuation gas tests), so `start` pays for `price()` and both pay for `outage()` as on
/// chain. A real price cannot be dropped at will (the TWAP clamps each sale and a floor jump starts a cool-down), so
/// these loans are liquidatable because they expired: 30 days plus 2 days of grace, the oracle kept fresh throughout.
contract AuctionGasRealValuationTest is BaseTest {
    Valuation internal real;
    MockAggregator internal feed;
    address internal reporter;

    function setUp() public override {
        super.setUp();
        (real, feed, reporter) = _deployReadyValuation();
        pool = _deployPoolWith(address(weth), address(real), 0.1 ether);
        vm.startPrank(timelock);
        pool.setTerms(address(apes), _auctionTerms(1), 1000 ether);
        pool.setTerms(address(items), _auctionTerms(2), 1000 ether);
        vm.stopPrank();
        auction = _deployAuction(pool);
        _deposit(lender, 100 ether);
    }

    /// @dev Steady state, as in AuctionGasTest: an earlier sale left claims with the keeper and the borrower, another
    /// auction is running, and the measured loan is past its maturity and grace.
    function _steadyState() internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        (uint256 firstId, ILendingPoolTypes.Loan memory first) = _borrowApe(borrower, 10, PRINCIPAL);
        (loanId, loan) = _borrowApe(borrower, 1, PRINCIPAL);
        (uint256 otherId, ILendingPoolTypes.Loan memory other) = _borrowApe(borrower, 2, PRINCIPAL);
        _expireKeepingOracleFresh(loan.dueTime + 2 days + 1);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, first) = auction.start(firstId, first);
        skip(12 minutes); // interest accrues between operations, as on chain
        vm.prank(keeper);
        auction.start(otherId, other);
        skip(12 minutes);
        _fundBuyer(stranger, 50 ether);
        vm.prank(stranger);
        auction.buy(firstId, first, a, 50 ether);
        skip(12 minutes);
    }

    /// @dev Moves time to `until` in 6-hour steps, each with a sale of both collections and a fresh floor round (sales
    /// one half-life apart keep the TWAP's weight ready; 12 hours apart, each sale would carry 3/4 of it).
    function _expireKeepingOracleFresh(uint256 until) internal {
        while (block.timestamp < until) {
            vm.warp(block.timestamp + 6 hours);
            _reportSales(real, reporter, NFT_PRICE);
            feed.setAnswer(int256(NFT_PRICE));
        }
    }

    function test_start_gas_realValuation() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _steadyState();
        vm.prank(keeper);
        auction.start(loanId, loan);
        vm.snapshotGasLastCall("auction start, steady state (real pool, real valuation)");
        overTarget(vm, "auction start, steady state (real pool, real valuation)", START_TARGET);
    }

    function test_buy_gas_realValuation() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _steadyState();
        apes.mint(buyer, 99); // the buyer already holds an NFT of the collection
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        _fundBuyer(buyer, 90 ether);
        skip(1 hours);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 50 ether);
        vm.snapshotGasLastCall("auction buy, steady state (real pool, real valuation)");
        overTarget(vm, "auction buy, steady state (real pool, real valuation)", BUY_TARGET);
    }
}
