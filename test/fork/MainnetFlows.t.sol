// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DemoApes} from "../../script/local/LocalAssets.sol";
import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {ForkBase} from "./ForkBase.sol";
import {SaleRules} from "./SaleRules.sol";
import {IConduitController, SeaportTypes} from "./SeaportTypes.sol";
import {Vm, console2} from "forge-std/Test.sol";

/// @notice The protocol against Seaport 1.6, WETH9, a Safe 1.4.1 and the BAYC floor feed at their mainnet addresses:
/// a real fork with `ETH_RPC_URL`, the local replica without (ForkBase). Each test is one user story end to end.
contract MainnetFlowsTest is ForkBase {
    /// @dev What the replica must share with mainnet for the protocol's purposes: the Safe's exact bytecode (its
    /// code hashes are the canonical ones, checked in setUp too), Seaport answering as 1.6 with an EIP-712 domain bound
    /// to its mainnet address and chain 1 and the canonical ConduitController, WETH9's constructor state, and a feed
    /// that speaks AggregatorV3 at 18 decimals. Logs the measured code hashes (docs/fork-tests.md).
    function test_mainnetContractsAnswerAsOnMainnet() public view {
        assertEq(SAFE_SINGLETON.codehash, SAFE_SINGLETON_CODEHASH, "Safe singleton");
        assertEq(SAFE_PROXY_FACTORY.codehash, SAFE_PROXY_FACTORY_CODEHASH, "Safe proxy factory");
        assertEq(SAFE_FALLBACK_HANDLER.codehash, SAFE_FALLBACK_HANDLER_CODEHASH, "fallback handler");
        _checkAgainstSafeDeployments("safe", SAFE_SINGLETON, SAFE_SINGLETON_CODEHASH);
        _checkAgainstSafeDeployments("safe_proxy_factory", SAFE_PROXY_FACTORY, SAFE_PROXY_FACTORY_CODEHASH);
        _checkAgainstSafeDeployments(
            "compatibility_fallback_handler", SAFE_FALLBACK_HANDLER, SAFE_FALLBACK_HANDLER_CODEHASH
        );
        assertEq(
            _safeSingleton(address(safe)), SAFE_SINGLETON, "the protocol's Safe is a proxy of the canonical singleton"
        );

        (string memory version, bytes32 domainSeparator, address controller) = seaport.information();
        assertEq(version, "1.6");
        assertEq(seaport.name(), "Seaport");
        assertEq(controller, CONDUIT_CONTROLLER);
        bytes32 expectedDomain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Seaport"),
                keccak256("1.6"),
                uint256(1),
                SEAPORT
            )
        );
        assertEq(domainSeparator, expectedDomain, "Seaport's domain binds chain 1 and its mainnet address");

        assertEq(weth.name(), "Wrapped Ether");
        assertEq(weth.symbol(), "WETH");
        assertEq(weth.decimals(), 18);
        assertEq(pool.asset(), WETH9);

        console2.log("mode", forked ? "fork" : "replica");
        console2.log("Seaport runtime bytes", SEAPORT.code.length);
        console2.logBytes32(SEAPORT.codehash);
        console2.log("ConduitController runtime bytes", CONDUIT_CONTROLLER.code.length);
        console2.logBytes32(CONDUIT_CONTROLLER.codehash);
        (, bytes32 conduitRuntimeHash) = IConduitController(CONDUIT_CONTROLLER).getConduitCodeHashes();
        console2.log("conduit runtime code hash");
        console2.logBytes32(conduitRuntimeHash);
        console2.log("WETH9 runtime bytes", WETH9.code.length);
        console2.logBytes32(WETH9.codehash);
        console2.log("BAYC floor feed runtime bytes", BAYC_FLOOR_FEED.code.length);
        console2.logBytes32(BAYC_FLOOR_FEED.codehash);
    }

    /// @dev When the safe-global/safe-deployments package is installed, its canonical v1.4.1 address and code hash
    /// must be the ones recorded here (it is not a dependency today: the recorded constants name their source).
    function _checkAgainstSafeDeployments(string memory file, address where, bytes32 codeHash) internal view {
        string memory path =
            string.concat("node_modules/@safe-global/safe-deployments/dist/assets/v1.4.1/", file, ".json");
        if (!vm.exists(path)) return;
        string memory json = vm.readFile(path);
        assertEq(vm.parseJsonAddress(json, ".deployments.canonical.address"), where, file);
        assertEq(vm.parseJsonBytes32(json, ".deployments.canonical.codeHash"), codeHash, file);
    }

    /// @dev A borrower buys an ape through a signed Seaport listing, then borrows WETH9 against it.
    function test_buyOnSeaportThenBorrow() public {
        uint256 floor = _floor();
        _lend(100 * floor);
        _seedTwap(floor);
        (uint256 unitPrice, IValuation.Status status) = valuation.priceView(BAYC);
        assertEq(uint8(status), uint8(IValuation.Status.Ok));
        assertEq(unitPrice, floor, "the TWAP of sales at the floor is the floor");

        (address seller, uint256 sellerKey) = makeAddrAndKey("apeSeller");
        address borrower = makeAddr("borrower");
        uint256 id = _giveApe(seller);
        uint256 sellerBefore = seller.balance;
        _fill(_listApe(sellerKey, id, floor), borrower, floor);
        assertEq(DemoApes(BAYC).ownerOf(id), borrower, "Seaport delivered the ape");
        assertEq(seller.balance - sellerBefore, floor - floor * FEE_BPS / 10_000, "seller paid net of the fee");
        assertEq(borrower.balance, 0, "the buyer paid the whole price");

        uint256 principal = _maxPrincipal(unitPrice);
        vm.startPrank(borrower);
        DemoApes(BAYC).setApprovalForAll(address(pool), true);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) =
            pool.borrow(BAYC, id, 1, principal, borrower, 0, new bytes32[](0));
        vm.stopPrank();
        assertEq(DemoApes(BAYC).ownerOf(id), address(pool), "the pool holds the collateral");
        assertEq(weth.balanceOf(borrower), principal, "the borrower received WETH9");
        assertEq(loan.borrower, borrower);
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)));
    }

    /// @dev Seaport fills become TWAP observations only through the sale rules: each single-ape listing, paid in ETH
    /// or in WETH9, is relayed at its full price (fees included); a two-ape bundle and a free transfer are skipped; the
    /// TWAP is ready after five sales over 30+ minutes and prices BAYC at min(TWAP, floor). The reports are signed by
    /// the oracle service's own TypeScript signer.
    function test_seaportSalesFeedTheTwap() public {
        serviceSigner = true;
        uint256 floor = _floor();
        uint256[5] memory prices =
            [floor * 11 / 10, floor * 12 / 10, floor * 11 / 10, floor * 105 / 100, floor * 13 / 10];
        for (uint256 i; i < prices.length; ++i) {
            _step(10 minutes - SALE_SPACING);
            _marketSale(prices[i], i == 3 ? WETH9 : address(0));
            if (i == 1) _bundleSale(floor);
            if (i == 2) _freeTransfer();
        }
        assertEq(weth.balanceOf(feeRecipient), prices[3] * FEE_BPS / 10_000, "the WETH9 sale paid its fee in WETH9");
        (uint256[] memory observed, uint256[] memory times) = valuation.observations(BAYC);
        assertEq(observed.length, prices.length, "one observation per single-ape sale, none for the skipped fills");
        for (uint256 i; i < prices.length; ++i) {
            assertEq(observed[i], prices[i], "the observation is what the buyer paid, fees included");
        }
        assertGe(times[4] - times[0], 30 minutes);
        (uint256 unitPrice, IValuation.Status status) = valuation.priceView(BAYC);
        assertEq(uint8(status), uint8(IValuation.Status.Ok));
        assertEq(unitPrice, floor, "every sale was above the floor: the floor prices the collection");
    }

    /// @dev A Seaport order giving an ape away (no consideration): the sale rules skip it as `no-payment`.
    function _freeTransfer() internal {
        _step(SALE_SPACING);
        (address giver, uint256 giverKey) = makeAddrAndKey("giver");
        uint256 id = _giveApe(giver);
        vm.prank(giver);
        DemoApes(BAYC).setApprovalForAll(SEAPORT, true);
        SeaportTypes.OfferItem[] memory offer = new SeaportTypes.OfferItem[](1);
        offer[0] = SeaportTypes.OfferItem(SeaportTypes.ItemType.ERC721, BAYC, id, 1, 1);
        Vm.Log[] memory logs =
            _fill(_signedOrder(giverKey, offer, new SeaportTypes.ConsiderationItem[](0)), makeAddr("friend"), 0);
        assertEq(DemoApes(BAYC).ownerOf(id), makeAddr("friend"));
        _expectOnlySkip(logs, SaleRules.Outcome.NoPayment);
    }

    /// @dev The transaction's one `OrderFulfilled` is skipped for `expected`, and nothing is relayed.
    function _expectOnlySkip(Vm.Log[] memory logs, SaleRules.Outcome expected) internal {
        uint256 fills;
        for (uint256 i; i < logs.length; ++i) {
            if (!SaleRules.isFill(logs[i], market)) continue;
            ++fills;
            (SaleRules.Outcome outcome,) = SaleRules.classify(logs, i, market);
            assertEq(uint8(outcome), uint8(expected));
        }
        assertEq(fills, 1);
        assertEq(_relaySales(logs), 0, "a skipped fill is not relayed");
    }

    /// @dev One Seaport order selling two apes for one price: the sale rules call it a bundle and nothing is relayed.
    function _bundleSale(uint256 price) internal {
        _step(SALE_SPACING);
        (address seller, uint256 sellerKey) = makeAddrAndKey("bundleSeller");
        uint256 a = _giveApe(seller);
        uint256 b = _giveApe(seller);
        vm.prank(seller);
        DemoApes(BAYC).setApprovalForAll(SEAPORT, true);
        SeaportTypes.OfferItem[] memory offer = new SeaportTypes.OfferItem[](2);
        offer[0] = SeaportTypes.OfferItem(SeaportTypes.ItemType.ERC721, BAYC, a, 1, 1);
        offer[1] = SeaportTypes.OfferItem(SeaportTypes.ItemType.ERC721, BAYC, b, 1, 1);
        Vm.Log[] memory logs =
            _fill(_signedOrder(sellerKey, offer, _payment(seller, price, address(0))), makeAddr("bundleBuyer"), price);
        assertEq(DemoApes(BAYC).ownerOf(a), makeAddr("bundleBuyer"));
        _expectOnlySkip(logs, SaleRules.Outcome.Bundle);
    }

    /// @dev The floor falls 40 %: the loan turns unhealthy, a keeper starts its auction once the jump stop has
    /// cooled down, a buyer pays it in WETH9 and relists the ape on Seaport, where it sells again.
    function test_unhealthyLoanAuctionBoughtInWethThenRelisted() public {
        uint256 floor = _floor();
        _lend(100 * floor);
        _seedTwap(floor);
        address borrower = makeAddr("borrower");
        uint256 id = _giveApe(borrower);
        vm.startPrank(borrower);
        DemoApes(BAYC).setApprovalForAll(address(pool), true);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) =
            pool.borrow(BAYC, id, 1, _maxPrincipal(floor), borrower, 0, new bytes32[](0));
        vm.stopPrank();

        _step(12 minutes);
        uint256 lowFloor = floor * 60 / 100;
        _setFloor(lowFloor);
        // A 40 % move is a jump: no auction may start until the jumped source has held for the cool-down.
        address keeper = makeAddr("keeper");
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, BAYC, IValuation.Status.Jumped)
        );
        auction.start(loanId, loan);
        _step(1 hours + 1);
        valuation.checkpoint(BAYC);
        assertLt(pool.healthFactor(loan), 1e18, "unhealthy at the new floor");

        vm.prank(keeper);
        (IDutchAuction.Auction memory a, ILendingPoolTypes.Loan memory inAuction) = auction.start(loanId, loan);
        _step(6 hours);
        uint256 price = auction.currentPrice(loanId, inAuction, a);
        (address buyer, uint256 buyerKey) = makeAddrAndKey("auctionBuyer");
        vm.deal(buyer, price);
        vm.startPrank(buyer);
        weth.deposit{value: price}();
        weth.approve(address(auction), price);
        uint256 poolBefore = weth.balanceOf(address(pool));
        assertEq(auction.buy(loanId, inAuction, a, price), price);
        vm.stopPrank();
        assertEq(DemoApes(BAYC).ownerOf(id), buyer, "the buyer holds the ape");
        assertEq(weth.balanceOf(buyer), 0, "paid in WETH9");
        assertEq(weth.balanceOf(address(pool)) - poolBefore, price, "WETH9 went to the pool");
        assertEq(pool.loanHash(loanId), bytes32(0), "the loan is closed");

        // The buyer relists on Seaport at the new floor and a collector buys it.
        _step(SALE_SPACING);
        address collector = makeAddr("collector");
        Vm.Log[] memory logs = _fill(_listApe(buyerKey, id, lowFloor), collector, lowFloor);
        assertEq(DemoApes(BAYC).ownerOf(id), collector);
        assertEq(buyer.balance, lowFloor - lowFloor * FEE_BPS / 10_000);
        assertEq(_relaySales(logs), 1, "the relisting's fill is a sale for the TWAP too");
    }

    /// @dev Governance on the real Safe: two owners sign a Safe transaction that schedules a debt-ceiling change on
    /// the timelock; executing it early fails; after 48 h the Safe executes it and the pool has the new ceiling.
    function test_parameterChangeSafeThroughTimelock() public {
        uint256 newCeiling = 123 ether;
        bytes memory call = abi.encodeCall(ILendingPoolAdmin.setDebtCeiling, (BAYC, newCeiling));
        bytes32 salt = keccak256("fork-ceiling");
        bytes32 opId = _propose(address(pool), call, salt);
        assertTrue(timelock.isOperationPending(opId));

        _step(DELAY - 1 minutes);
        uint256[] memory keys = _twoKeys();
        bytes memory exec = abi.encodeCall(timelock.execute, (address(pool), 0, call, bytes32(0), salt));
        bytes memory sigs = _signSafeTx(safe, _safeTxHash(safe, address(timelock), 0, exec), keys);
        vm.expectRevert(); // the Safe reverts (GS013) when the timelock refuses an operation that is not ready
        safe.execTransaction(address(timelock), 0, exec, 0, 0, 0, 0, address(0), payable(address(0)), sigs);
        (, uint256 ceiling,,) = pool.collectionState(BAYC);
        assertEq(ceiling, cfg.debtCeiling, "unchanged before the delay");

        _step(1 minutes);
        _executeProposal(address(pool), call, salt);
        assertTrue(timelock.isOperationDone(opId));
        (, ceiling,,) = pool.collectionState(BAYC);
        assertEq(ceiling, newCeiling);
    }

    /// @dev The floor feed stops updating: once past its one-day heartbeat, borrowing stops (the TWAP itself kept
    /// fresh by a new sale), and a new round reopens it.
    function test_staleFloorStopsBorrowing() public {
        uint256 floor = _floor();
        _lend(100 * floor);
        _seedTwap(floor);
        address borrower = makeAddr("borrower");
        uint256 id = _giveApe(borrower);
        vm.prank(borrower);
        DemoApes(BAYC).setApprovalForAll(address(pool), true);

        (,,, uint256 updatedAt,) = _latestRound();
        vm.warp(updatedAt + 1 days + 1);
        vm.roll(block.number + 1);
        for (uint256 i; i < 5; ++i) {
            _step(10 minutes - SALE_SPACING);
            _marketSale(floor);
        }
        (, IValuation.Status status) = valuation.priceView(BAYC);
        assertEq(uint8(status), uint8(IValuation.Status.FloorStale));
        uint256 principal = _maxPrincipal(floor);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, BAYC, IValuation.Status.FloorStale)
        );
        pool.borrow(BAYC, id, 1, principal, borrower, 0, new bytes32[](0));

        _setFloor(floor);
        vm.prank(borrower);
        pool.borrow(BAYC, id, 1, principal, borrower, 0, new bytes32[](0));
        assertEq(DemoApes(BAYC).ownerOf(id), address(pool), "a fresh round reopens borrowing");
    }

    function _latestRound() internal view returns (uint80, int256, uint256, uint256, uint80) {
        return IAggregator(BAYC_FLOOR_FEED).latestRoundData();
    }
}

interface IAggregator {
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}
